// sandbox-egress providers [--json]
#include <cstdio>

#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "egress/config.hpp"
#include "egress/declared_secrets.hpp"
#include "egress/paths.hpp"
#include "egress/provider_list.hpp"

namespace sr::cli {

int cmd_providers(std::span<const std::string> args) {
  CLI::App app{"List every credential the proxy can protect: the built-in providers and the ones "
               "declared in config.yaml (secrets:), with hosts, carrier and whether a value is present.",
               "providers"};
  bool as_json = false;
  app.add_flag("--json", as_json, "machine-readable output");
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  auto config = egress::load_config(paths.config());
  if (!config) return cli::error(config.error().context("providers"));
  for (const auto& w : config->warnings) cli::warn(w);
  std::optional<std::filesystem::path> file;
  if (!config->proxy.env_file.empty()) file = config->proxy.env_file;
  auto lookup = egress::environment_lookup(file);
  if (!lookup) {
    cli::warn(lookup.error().message + "; presence from the environment only");
    lookup = egress::environment_lookup(std::nullopt);
  }
  if (!lookup) return cli::error(lookup.error().context("providers"));
  const auto table = egress::known_providers(config->secrets);
  if (as_json) std::printf("%s\n", egress::providers_json(table, *lookup).dump(2).c_str());
  else std::fputs(egress::providers_text(table, *lookup).c_str(), stdout);
  return 0;
}

}  // namespace sr::cli
