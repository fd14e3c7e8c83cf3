// `sandbox-egress allow | deny | secrets add|rm|list | config get|set`: policy
// from the command line. Each edits config.yaml in place (egress/config_edit:
// atomic, no symlink followed, comments and unknown keys kept), then brings
// proxy.yaml and a running daemon in line (daemon/policy_apply).
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "egress/bitwarden.hpp"
#include "egress/config.hpp"
#include "egress/config_edit.hpp"
#include "egress/config_keys.hpp"
#include "egress/daemon_env.hpp"
#include "egress/discovery.hpp"
#include "egress/paths.hpp"
#include "daemon/policy_apply.hpp"
#include "egress/provider_list.hpp"
#include "egress/validate.hpp"

namespace sr::cli {
namespace {

YAML::Node list_node(const std::vector<std::string>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& s : v) n.push_back(s);
  return n;
}

// Which credential values are present, decided as setup decides it: exported,
// then the recorded env file; with credential_source: bitwarden, the names the
// Bitwarden project holds. When Bitwarden cannot be asked, nothing new counts
// as present: credentials already mapped keep their tokens, and one declared
// now gets its token at the next setup (a warning says so).
egress::PresenceLookup presence(const egress::Config& config) {
  std::map<std::string, std::string> file;
  if (!config.proxy.env_file.empty()) {
    if (auto loaded = load_credential_file(config.proxy.env_file, egress::FileCheck::warn))
      file = std::move(loaded->values);
    else
      cli::warn(loaded.error().message + " (its credentials are not seen by this command)");
  }
  egress::PresenceLookup local = egress::environment_lookup(file);
  if (config.proxy.credential_source != egress::CredentialSource::bitwarden) return local;
  auto names = bitwarden_secret_names(
      config.proxy, egress::with_file_fallback(egress::process_env_lookup(), file, {config.proxy.bitwarden_token_env}));
  if (!names) {
    if (config.proxy.allow_env_fallback) {
      cli::warn(names.error().message + "; using the environment instead (allow_env_fallback)");
      return local;
    }
    cli::warn(names.error().message + "; a credential not mapped yet gets its proxy token at the next "
              "'sandbox-egress setup'");
    return [](std::string_view) -> std::optional<egress::CredentialOrigin> { return std::nullopt; };
  }
  return [set = std::move(*names)](std::string_view name) -> std::optional<egress::CredentialOrigin> {
    if (std::find(set.begin(), set.end(), name) != set.end()) return egress::CredentialOrigin::bitwarden;
    return std::nullopt;
  };
}

int usage(const CLI::App& app, const std::string& why) {
  std::fprintf(stderr, "sandbox-egress %s: error: %s\n%s", app.get_name().c_str(), why.c_str(), app.help().c_str());
  return 2;
}

int usage_error(const util::Error& e) {
  cli::error(e);
  return 2;
}

util::Result<egress::Config> load(const egress::Paths& paths) {
  SR_ASSIGN(egress::Config c, egress::load_config(paths.config()));
  for (const auto& w : c.warnings) cli::warn(w);
  return c;
}

// Writes the edits, then re-renders and reloads; the exit code.
int commit(const egress::Paths& paths, std::span<const egress::ConfigEdit> edits, const std::string& what, const char* cmd) {
  if (auto ok = edit_config_file(paths.config(), edits); !ok) return cli::error(ok.error().context(cmd));
  cli::info(paths.config().string() + ": " + what);
  auto config = egress::load_config(paths.config());
  if (!config) return cli::error(config.error().context(cmd));
  auto notes = sr::daemon::apply_policy(paths, presence(*config));
  if (!notes) return cli::error(notes.error().context(std::string(cmd) + ": config.yaml is saved, but"));
  for (const auto& n : *notes) cli::info(n);
  return 0;
}

// Where an allowed host comes from when it is not an extra_allowed_hosts entry.
std::optional<std::string> other_source(const egress::Config& c, const std::string& host) {
  for (auto h : egress::default_allowed_hosts())
    if (h == host) return "the default allowlist";
  for (const auto& p : c.secrets)
    if (std::find(p.hosts.begin(), p.hosts.end(), host) != p.hosts.end())
      return p.preset.empty() ? "the credential " + p.env_name + " (secrets:)" : "the preset " + p.preset;
  for (const auto& name : c.proxy.presets)
    if (const egress::Preset* p = find_preset(name, c.presets);
        p && std::find(p->hosts.begin(), p->hosts.end(), host) != p->hosts.end())
      return "the preset " + name;
  return std::nullopt;
}

util::Result<std::vector<std::string>> normalized(const std::vector<std::string>& hosts) {
  std::vector<std::string> out;
  for (const auto& h : hosts) {
    SR_ASSIGN(std::string n, egress::normalize_allowed_host(h));
    out.push_back(std::move(n));
  }
  return out;
}

// `allow` and `deny`: HOST... and --preset NAME, hosts normalised, and the
// config they edit. nullopt: go on; otherwise the exit code.
struct HostRequest {
  std::vector<std::string> hosts;
  std::string preset;
  egress::Paths paths = egress::Paths::from_environment();
  egress::Config config;
};

std::optional<int> parse_request(CLI::App& app, std::span<const std::string> args, const char* host_help,
                                 const char* preset_help, HostRequest& out) {
  std::vector<std::string> raw;
  app.add_option("HOST", raw, host_help);
  app.add_option("--preset", out.preset, preset_help);
  if (auto code = cli::parse(app, args)) return *code;
  if (raw.empty() && out.preset.empty()) return usage(app, "give a HOST or --preset NAME");
  auto hosts = normalized(raw);
  if (!hosts) return usage_error(hosts.error().context(app.get_name()));
  out.hosts = std::move(*hosts);
  auto config = load(out.paths);
  if (!config) return cli::error(config.error().context(app.get_name()));
  out.config = std::move(*config);
  return std::nullopt;
}

// The end of `allow` and `deny`: `hosts` is the new proxy.extra_allowed_hosts
// (the key is dropped when empty), `changed` the hosts that made it differ,
// described as "<change><host>, <host>" after the preset edit in `what`.
int commit_hosts(const egress::Paths& paths, std::vector<egress::ConfigEdit> edits, std::string what,
                 const std::vector<std::string>& hosts, const std::vector<std::string>& changed,
                 std::string_view change, const char* cmd) {
  if (!changed.empty()) {
    edits.push_back({{"proxy", "extra_allowed_hosts"}, hosts.empty() ? std::optional<YAML::Node>() : list_node(hosts)});
    what += fmt::format("{}{}{}", what.empty() ? "" : "; ", change, fmt::join(changed, ", "));
  }
  if (edits.empty()) return 0;
  return commit(paths, edits, what, cmd);
}

}  // namespace

int cmd_allow(std::span<const std::string> args) {
  CLI::App app{"Allow sandboxes to reach HOST (proxy.extra_allowed_hosts), or enable a preset "
               "(proxy.presets); re-renders proxy.yaml and reloads a running daemon.", "allow"};
  HostRequest req;
  if (auto code = parse_request(app, args, "host name or *.wildcard",
                                "enable a preset: pypi, github, huggingface or one defined in config.yaml", req))
    return *code;
  std::vector<egress::ConfigEdit> edits;
  std::string what;
  if (!req.preset.empty()) {
    if (!find_preset(req.preset, req.config.presets))
      return cli::error("allow: unknown preset '" + req.preset + "' (built in: pypi, github, huggingface; define "
                        "your own under presets: in " + req.paths.config().string() + ")");
    auto list = req.config.proxy.presets;
    if (std::find(list.begin(), list.end(), req.preset) == list.end()) {
      list.push_back(req.preset);
      edits.push_back({{"proxy", "presets"}, list_node(list)});
      what = "preset " + req.preset + " enabled";
    } else {
      cli::info("preset " + req.preset + " is already enabled");
    }
  }
  auto list = req.config.proxy.extra_allowed_hosts;
  std::vector<std::string> added;
  for (const auto& h : req.hosts)
    if (std::find(list.begin(), list.end(), h) == list.end()) {
      list.push_back(h);
      added.push_back(h);
    } else {
      cli::info(h + " is already allowed");
    }
  return commit_hosts(req.paths, std::move(edits), std::move(what), list, added, "allowed ", "allow");
}

int cmd_deny(std::span<const std::string> args) {
  CLI::App app{"Remove HOST from proxy.extra_allowed_hosts, or disable a preset; re-renders proxy.yaml and "
               "reloads a running daemon.", "deny"};
  HostRequest req;
  if (auto code = parse_request(app, args, "an entry of proxy.extra_allowed_hosts", "disable an enabled preset", req))
    return *code;
  std::vector<egress::ConfigEdit> edits;
  std::string what;
  if (!req.preset.empty()) {
    auto list = req.config.proxy.presets;
    auto it = std::find(list.begin(), list.end(), req.preset);
    if (it == list.end()) return cli::error("deny: preset '" + req.preset + "' is not enabled");
    list.erase(it);
    edits.push_back({{"proxy", "presets"}, list.empty() ? std::optional<YAML::Node>() : list_node(list)});
    what = "preset " + req.preset + " disabled";
  }
  auto list = req.config.proxy.extra_allowed_hosts;
  std::vector<std::string> removed;
  for (const auto& h : req.hosts) {
    if (auto it = std::find(list.begin(), list.end(), h); it != list.end()) {
      list.erase(it);
      removed.push_back(h);
    } else if (auto from = other_source(req.config, h)) {
      return cli::error("deny: " + h + " is allowed by " + *from + ", not by proxy.extra_allowed_hosts; "
                        "nothing was changed");
    } else {
      cli::info(h + " is not in the allowlist");
    }
  }
  return commit_hosts(req.paths, std::move(edits), std::move(what), list, removed, "no longer allowed: ", "deny");
}

int cmd_secrets(std::span<const std::string> args) {
  CLI::App app{"Declare, remove or list the credentials of config.yaml's secrets: section.", "secrets"};
  app.require_subcommand(1);
  auto* add = app.add_subcommand("add", "declare a credential (the env var NAME holds its real value)");
  std::string name;
  std::vector<std::string> hosts, carriers;
  std::string header, param, user;
  bool match_body = false;
  add->add_option("NAME", name, "env var (or Bitwarden secret) holding the real value")->required();
  add->add_option("--host", hosts, "a host it may go to (exact or *.wildcard; repeat)")->required();
  add->add_option("--carrier", carriers, "bearer (default) | header | query | basic (repeat for several)");
  add->add_option("--header", header, "carrier header: the header name");
  add->add_option("--param", param, "carrier query: the parameter name");
  add->add_option("--user", user, "carrier basic: the fixed user name");
  add->add_flag("--match-body", match_body, "also swap the token in request bodies");
  auto* rm = app.add_subcommand("rm", "remove a declared credential");
  std::string rm_name;
  rm->add_option("NAME", rm_name, "its env var name")->required();
  auto* list = app.add_subcommand("list", "list the declared credentials and those of enabled presets");
  bool as_json = false;
  list->add_flag("--json", as_json, "machine-readable output (as 'providers --json')");
  if (auto code = cli::parse(app, args)) return *code;

  egress::Paths paths = egress::Paths::from_environment();
  auto config = load(paths);
  if (!config) return cli::error(config.error().context("secrets"));
  if (*list) {
    if (as_json) std::printf("%s\n", providers_json(config->secrets, presence(*config)).dump(2).c_str());
    else std::fputs(providers_text(config->secrets, presence(*config)).c_str(), stdout);
    return 0;
  }
  if (*rm) {
    auto it = std::find_if(config->secrets.begin(), config->secrets.end(),
                           [&](const egress::Provider& p) { return p.env_name == rm_name; });
    if (it == config->secrets.end()) return cli::error("secrets rm: " + rm_name + " is not declared in secrets:");
    if (!it->preset.empty())
      return cli::error("secrets rm: " + rm_name + " comes from the preset " + it->preset +
                        "; disable it with 'sandbox-egress deny --preset " + it->preset + "'");
    const egress::ConfigEdit edit{{"secrets", rm_name}, std::nullopt};
    return commit(paths, std::span(&edit, 1), "secrets." + rm_name + " removed", "secrets rm");
  }
  YAML::Node entry(YAML::NodeType::Map);
  entry["hosts"] = list_node(hosts);
  if (carriers.size() == 1) entry["carrier"] = carriers.front();
  else if (!carriers.empty()) entry["carrier"] = list_node(carriers);
  if (!header.empty()) entry["header"] = header;
  if (!param.empty()) entry["param"] = param;
  if (!user.empty()) entry["user"] = user;
  if (match_body) entry["match_body"] = true;
  const egress::ConfigEdit edit{{"secrets", name}, entry};
  return commit(paths, std::span(&edit, 1), "secrets." + name + " declared", "secrets add");
}

int config_get(std::span<const std::string> args) {
  CLI::App app{"Print the value of a setting (the file's, else the default).", "config get"};
  std::string key;
  app.add_option("KEY", key, "e.g. proxy.enabled, sandbox.require_egress, docker_env.NAME")->required();
  if (auto code = cli::parse(app, args)) return *code;
  auto path = egress::setting_path(key);
  if (!path) return usage_error(path.error().context("config get"));
  auto config = load(egress::Paths::from_environment());
  if (!config) return cli::error(config.error().context("config get"));
  auto value = egress::effective_setting(*config, *path);
  if (!value) return cli::error(value.error().context("config get"));
  YAML::Emitter out;
  if (value->IsSequence()) out << YAML::Flow;
  out << *value;
  cli::info(value->IsNull() ? "" : out.c_str());
  return 0;
}

int config_set(std::span<const std::string> args) {
  CLI::App app{"Set a setting in config.yaml (checked: the file must still load).", "config set"};
  std::string key, value;
  app.add_option("KEY", key, "e.g. proxy.extra_allowed_hosts, sandbox.require_egress, docker_env.NAME")->required();
  app.add_option("VALUE", value, "YAML scalar or flow list ('[a.example, b.example]'); null removes it")->required();
  if (auto code = cli::parse(app, args)) return *code;
  auto path = egress::setting_path(key);
  if (!path) return usage_error(path.error().context("config set"));
  egress::Paths paths = egress::Paths::from_environment();
  YAML::Node node = egress::parse_cli_value(value);
  const egress::ConfigEdit edit{*path, node.IsNull() ? std::optional<YAML::Node>() : node};
  static constexpr std::string_view kRendered[] = {"proxy.extra_allowed_hosts", "proxy.upstream_deny_cidrs",
                                                   "proxy.presets"};
  if (std::find(std::begin(kRendered), std::end(kRendered), key) != std::end(kRendered))
    return commit(paths, std::span(&edit, 1), key + " set", "config set");
  if (auto ok = edit_config_file(paths.config(), std::span(&edit, 1)); !ok)
    return cli::error(ok.error().context("config set"));
  cli::info(paths.config().string() + ": " + key + " set");
  if ((*path)[0] == "proxy" && key != "proxy.enabled" && key != "proxy.enforce")
    cli::info("takes effect with 'sandbox-egress setup' and 'sandbox-egress restart'");
  else
    cli::info("new sandboxes use it");
  return 0;
}

}  // namespace sr::cli
