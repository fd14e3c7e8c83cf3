#include "runtime/egress_launch.hpp"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "daemon/daemon_probe.hpp"
#include "daemon/daemon_state.hpp"
#include "egress/bitwarden.hpp"
#include "egress/discovery.hpp"
#include "egress/mappings.hpp"
#include "egress/network_seam.hpp"
#include "proxyconf/proxy_config.hpp"
#include "runtime/launch_guard.hpp"

namespace sr::runtime {
namespace {

namespace fs = std::filesystem;
using util::ErrorKind;

std::string key_of(const std::string& kv) { return kv.substr(0, kv.find('=')); }
std::string value_of(const std::string& kv) {
  auto eq = kv.find('=');
  return eq == std::string::npos ? std::string() : kv.substr(eq + 1);
}

// config docker_env is added to every sandbox; the user's -e/--env-file win.
void add_docker_env(RunSpec& spec, const egress::Config& config) {
  if (config.docker_env.empty()) return;
  auto& env = spec.create_body["Env"];
  if (!env.is_array()) env = nlohmann::json::array();
  std::set<std::string> present;
  for (const auto& e : env) present.insert(key_of(e.get<std::string>()));
  for (const auto& [k, v] : config.docker_env) {
    if (present.contains(k)) continue;
    env.push_back(k + "=" + v);
    spec.env_origins.emplace(k, "config docker_env");
  }
}

// Lowest precedence first: image ENV, then the create body's Env (docker_env,
// --env-file and -e, each labelled with its origin).
std::vector<EnvSource> env_sources(const RunSpec& spec, const std::vector<std::string>& image_env) {
  std::vector<EnvSource> out;
  for (const auto& kv : image_env) out.push_back({key_of(kv), value_of(kv), "image ENV"});
  if (spec.create_body.contains("Env") && spec.create_body["Env"].is_array()) {
    for (const auto& e : spec.create_body["Env"]) {
      const auto kv = e.get<std::string>();
      auto it = spec.env_origins.find(key_of(kv));
      out.push_back({key_of(kv), value_of(kv),
                     it == spec.env_origins.end() ? "-e/--env-file" : it->second});
    }
  }
  return out;
}

util::Error refusal(std::string condition, std::string_view fix) {
  return util::Error{ErrorKind::security, condition + "; fix: " + std::string(fix), 0};
}

struct Checked {
  proxyconf::ProxyConfig proxy;
  egress::Mappings mappings;
  sr::daemon::DaemonState daemon;
};

// The refusals of docs/troubleshooting.md, in the order a user would fix them.
util::Result<Checked> check_egress(const egress::Paths& paths, const egress::Config& config) {
  if (!fs::exists(paths.proxy_yaml()))
    return std::unexpected(refusal("egress is enabled but not set up (no " +
                                       paths.proxy_yaml().string() + ")",
                                   "run `sandbox-egress setup`"));
  if (!fs::exists(paths.ca_cert()))
    return std::unexpected(refusal("the egress CA certificate " + paths.ca_cert().string() +
                                       " is missing",
                                   "run `sandbox-egress setup` and `sandbox-egress restart`"));
  Checked c;
  auto proxy = proxyconf::load(paths.proxy_yaml());
  if (!proxy)
    return std::unexpected(refusal("cannot read the proxy config: " + proxy.error().message,
                                   "run `sandbox-egress setup`"));
  c.proxy = std::move(*proxy);
  auto mappings = egress::load_mappings(paths.mappings());
  if (!mappings)
    return std::unexpected(refusal("cannot read the token mappings: " + mappings.error().message,
                                   "run `sandbox-egress setup` to rewrite them"));
  if (mappings->tokens.empty())
    return std::unexpected(refusal("no provider mappings in " + paths.mappings().string(),
                                   "run `sandbox-egress setup --env-file FILE` with your API keys"));
  c.mappings = std::move(*mappings);
  c.daemon = sr::daemon::inspect_daemon(paths, config, c.proxy.tunnel_listen);
  if (!c.daemon.ours)
    return std::unexpected(refusal("the egress daemon is not running (" + c.daemon.detail + ")",
                                   "run `sandbox-egress start`"));
  if (!c.daemon.listening)
    return std::unexpected(refusal("the egress daemon (pid " + std::to_string(*c.daemon.pid) +
                                       ") is not accepting connections on " +
                                       c.daemon.tunnel_address,
                                   "run `sandbox-egress restart`"));
  return c;
}


// Where the daemon takes the real keys from: the environment, proxy.env_file
// and, with credential_source: bitwarden, the Bitwarden project (read once,
// on the first value that is not found locally). A source that cannot be
// read contributes nothing: the daemon refuses to start from it anyway.
std::function<std::optional<std::string>(std::string_view)> real_value_lookup(
    const egress::Config& config, const egress::Mappings& mappings) {
  struct Sources {
    std::map<std::string, std::string> file;
    std::optional<egress::EnvLookup> bitwarden;
  };
  auto src = std::make_shared<Sources>();
  if (!config.proxy.env_file.empty())
    if (auto f = egress::load_credential_file(config.proxy.env_file, egress::FileCheck::warn))
      src->file = std::move(f->values);
  const bool bw = config.proxy.credential_source == egress::CredentialSource::bitwarden;
  return [src, bw, settings = config.proxy, creds = egress::mapped_credentials(mappings)](
             std::string_view name) -> std::optional<std::string> {
    if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
    if (auto it = src->file.find(std::string(name)); it != src->file.end()) return it->second;
    if (!bw) return std::nullopt;
    if (!src->bitwarden) {
      auto secrets = egress::bitwarden_secrets(settings, creds, egress::process_env_lookup());
      src->bitwarden = secrets ? secrets->lookup : egress::EnvLookup([](const std::string&) {
        return std::optional<std::string>();
      });
    }
    return (*src->bitwarden)(std::string(name));
  };
}

EgressInputs make_inputs(const RunSpec& spec, const egress::Paths& paths,
                         const egress::Config& config, const Checked& c,
                         const std::vector<std::string>& image_env) {
  EgressInputs in;
  in.mappings = &c.mappings;
  in.tunnel_port = config.proxy.tunnel_port;
  in.ca_cert_host_path = paths.ca_cert().string();
  if (config.proxy.isolation == egress::Isolation::internal) {
    // host-gateway is the default bridge's gateway, not the internal
    // network's: give the address the daemon actually listens on.
    in.network = std::string(egress::kInternalNetworkName);
    in.proxy_host_address = proxy_listen_host(c.proxy.tunnel_listen);
    // Port 53 of the gateway is redirected to the engine's DNS responder
    // (dns.listen, on the same address) by the interception rules.
    if (proxy_listen_host(c.proxy.dns_listen) == in.proxy_host_address) {
      in.dns_server = in.proxy_host_address;
      in.allowlist = c.proxy.allowlist;
    }
  }
  in.user_network = spec.user_network == "default" ? "" : spec.user_network;
  in.user_env = env_sources(spec, image_env);
  in.real_value = real_value_lookup(config, c.mappings);
  return in;
}

}  // namespace

// The launch options that would undo the isolation; refused before anything
// is created (reported, not refused, by --dry-run).
util::Result<std::vector<std::string>> guard_launch(RunSpec& spec, const egress::Paths& paths,
                                                    const egress::Config& config,
                                                    const InheritedMountLookup& volumes_from) {
  std::vector<std::filesystem::path> sockets{"/var/run/docker.sock", "/run/docker.sock"};
  if (const char* host = std::getenv("DOCKER_HOST"))
    if (auto s = unix_socket_path(host)) sockets.push_back(*s);
  auto inputs = host_guard_inputs(config.sandbox.allow_unsafe, paths.home, config.proxy.env_file, sockets);
  std::vector<std::string> refused;
  // What cannot be inspected cannot be judged: refused like an unsafe mount.
  for (const auto& name : volumes_from_names(spec.create_body)) {
    auto found = volumes_from ? volumes_from(name)
                              : util::fail(ErrorKind::invalid_argument, "no Docker daemon to ask");
    if (found) inputs.volumes_from[name] = std::move(*found);
    else refused.push_back("--volumes-from " + name + ": its mounts cannot be checked: " + found.error().message);
  }
  for (const auto& r : find_unsafe(spec.create_body, inputs)) refused.push_back(describe(r));
  if (!refused.empty() && !spec.dry_run) {
    std::string msg = "refusing to start the sandbox: the launch would undo its isolation: ";
    for (std::size_t i = 0; i < refused.size(); ++i) msg += (i ? "; " : "") + refused[i];
    return std::unexpected(refusal(msg, "remove those options, or allow each deliberately in "
                                        "sandbox.allow_unsafe (config.yaml)"));
  }
  apply_hardening(spec.create_body);
  if (!config.sandbox.runtime.empty() && !spec.create_body["HostConfig"].contains("Runtime"))
    spec.create_body["HostConfig"]["Runtime"] = config.sandbox.runtime;
  return refused;
}

util::Result<EgressResult> prepare_egress(RunSpec& spec, const egress::Paths& paths,
                                          const egress::Config& config,
                                          const std::vector<std::string>& image_env,
                                          const InheritedMountLookup& volumes_from) {
  add_docker_env(spec, config);
  EgressResult r;
  if (!config.proxy.enabled) {
    r.decisions.push_back("egress disabled (proxy.enabled: false): plain launch");
    return r;
  }
  SR_ASSIGN(r.refused, guard_launch(spec, paths, config, volumes_from));
  const bool enforce = config.proxy.enforce;
  auto checked = check_egress(paths, config);
  if (!checked) {
    if (enforce) return std::unexpected(checked.error());
    r.outcome = EgressOutcome::bypassed;
    r.warnings.push_back(checked.error().message +
                         "; starting WITHOUT the egress proxy (proxy.enforce is false)");
    r.decisions.push_back("egress bypassed: " + checked.error().message);
    return r;
  }
  r.daemon_pid = checked->daemon.pid.value_or(0);
  auto plan = plan_egress(make_inputs(spec, paths, config, *checked, image_env));
  for (const auto& w : plan.warnings) r.warnings.push_back(w);
  if (!plan.collisions.empty()) {
    std::string msg = "refusing to start the sandbox: ";
    for (std::size_t i = 0; i < plan.collisions.size(); ++i)
      msg += (i ? "; " : "") + plan.collisions[i].message;
    if (enforce)
      return std::unexpected(refusal(msg, "remove those values (an identical value is allowed), "
                                          "or set proxy.enforce: false to only warn"));
    for (const auto& col : plan.collisions)
      r.warnings.push_back(col.message + " (proxy.enforce is false: the user's value wins)");
  }
  apply_egress(plan, spec.create_body, enforce ? UserWins::no : UserWins::yes);
  r.outcome = EgressOutcome::applied;
  r.decisions.push_back("egress applied: daemon pid " + std::to_string(r.daemon_pid) +
                        " listening on " + checked->daemon.tunnel_address);
  r.decisions.push_back("network: " + (plan.network.empty() ? std::string("default bridge")
                                                            : plan.network));
  r.decisions.push_back(std::to_string(checked->mappings.tokens.size()) +
                        " provider token(s) injected; fingerprint " + plan.fingerprint);
  r.plan = std::move(plan);
  r.proxy = std::move(checked->proxy);
  return r;
}

util::Result<std::string> current_egress_fingerprint(const egress::Paths& paths, const egress::Config& config,
                                                     const std::vector<std::string>& container_env) {
  SR_ASSIGN(Checked checked, check_egress(paths, config));
  // The container's env stands in for the user's: NODE_OPTIONS merges to
  // the same value again, the injected values are identical to the plan's.
  return plan_egress(make_inputs(RunSpec{}, paths, config, checked, container_env)).fingerprint;
}

std::string proxy_listen_host(const std::string& listen) {
  auto hp = sr::daemon::dial_address(listen);
  return hp ? hp->host : std::string();
}

nlohmann::json redacted_body(const nlohmann::json& body, const EgressResult& egress,
                             bool show_tokens) {
  nlohmann::json out = body;
  if (show_tokens || !egress.plan || !out.contains("Env")) return out;
  for (auto& e : out["Env"]) {
    std::string kv = e.get<std::string>();
    for (const auto& token : egress.plan->token_values)
      if (value_of(kv) == token) kv = key_of(kv) + "=" + egress::redact_token(token);
    e = kv;
  }
  return out;
}

}  // namespace sr::runtime
