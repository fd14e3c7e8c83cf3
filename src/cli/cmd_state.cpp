// `sandbox-egress status | config | disable` (config get|set: cmd_policy.cpp).
#include <cstdio>

#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "daemon/daemon_state.hpp"
#include "daemon/status.hpp"
#include "egress/discovery.hpp"
#include "egress/firewall.hpp"
#include "egress/interception.hpp"
#include "util/atomic_file.hpp"

namespace sr::cli {

int cmd_status(std::span<const std::string> args) {
  CLI::App app{"Show the egress configuration, CA, daemon and mappings.", "status"};
  bool as_json = false, show_tokens = false;
  app.add_flag("--json", as_json, "machine-readable output (docs/status-json.md)");
  app.add_flag("--show-tokens", show_tokens, "print proxy tokens unredacted");
  bool check = false;
  app.add_flag("--check", check, "exit 1 unless our daemon is running and accepting connections");
  if (auto code = cli::parse(app, args)) return *code;
  if (show_tokens)
    cli::warn("--show-tokens prints proxy tokens; they may end up in your terminal "
              "scrollback or shell history logs");
  auto report = sr::daemon::collect_status(egress::Paths::from_environment(), egress::environment_lookup(std::map<std::string, std::string>{}));
  if (!report) return cli::error(report.error().context("status"));
  auto display = show_tokens ? sr::daemon::TokenDisplay::shown : sr::daemon::TokenDisplay::redacted;
  if (as_json) {
    std::printf("%s\n", format_status_json(*report, display).dump(2).c_str());
  } else {
    for (const auto& w : report->config.warnings) cli::warn(w);
    if (const egress::Paths paths = egress::Paths::from_environment(); !paths.set_up()) cli::info(paths.not_set_up());
    std::fputs(format_status_text(*report, display).c_str(), stdout);
  }
  if (check && !(report->daemon.ours && report->daemon.listening)) return 1;
  return 0;
}

int cmd_config(std::span<const std::string> args) {
  if (!args.empty() && args[0] == "get") return config_get(args.subspan(1));
  if (!args.empty() && args[0] == "set") return config_set(args.subspan(1));
  CLI::App app{"Print the path of the rendered proxy.yaml; 'config get KEY' and 'config set KEY VALUE' read "
               "and change a setting of config.yaml.", "config"};
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  if (!util::path_exists_nofollow(paths.proxy_yaml()))
    return cli::error("no proxy configuration at " + paths.proxy_yaml().string() +
                      "; run 'sandbox-egress setup'");
  if (auto ok = util::refuse_symlink(paths.proxy_yaml()); !ok) return cli::error(ok.error());
  cli::info(paths.proxy_yaml().string());
  return 0;
}

int cmd_disable(std::span<const std::string> args) {
  CLI::App app{"Turn egress off for new sandboxes (proxy.enabled: false).", "disable"};
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  auto config = egress::load_config(paths.config());
  if (!config) return cli::error(config.error().context("disable"));
  config->proxy.enabled = false;
  static constexpr egress::ProxyKey kKeys[] = {egress::ProxyKey::enabled};
  if (auto ok = save_proxy_keys(paths.config(), config->proxy, kKeys); !ok)
    return cli::error(ok.error().context("disable"));
  cli::info("egress disabled in " + paths.config().string() +
            ": new sandboxes start without the proxy");
  // The interception first: its UDP accept lives in the firewall's chain.
  if (auto spec = read_firewall_record(paths); spec && *spec && !(*spec)->bridge.empty()) {
    if (auto ok = remove_interception(interception_spec(**spec), egress::system_iptables_runner()); !ok)
      cli::warn(ok.error().message);
    else
      cli::info("firewall: removed the interception of " + (*spec)->bridge + "'s ports 443, 80 and 53");
  }
  auto removed = remove_recorded_firewall(paths, egress::system_iptables_runner());
  if (!removed)
    cli::warn(removed.error().message);
  else if (!removed->empty())
    cli::info("firewall: removed the rule protecting this host from " + *removed);
  sr::daemon::DaemonState d = sr::daemon::inspect_daemon(paths, *config);
  if (d.alive && d.ours)
    cli::info("the egress daemon (pid " + std::to_string(*d.pid) +
              ") is still running; stop it with 'sandbox-egress stop'");
  return 0;
}

}  // namespace sr::cli
