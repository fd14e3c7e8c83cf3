#include "egress/setup.hpp"

#include <algorithm>
#include <ctime>

#include "egress/ca.hpp"
#include "egress/firewall_backend.hpp"
#include "egress/interception.hpp"
#include "egress/declared_secrets.hpp"
#include "egress/mappings.hpp"
#include "egress/render_settings.hpp"
#include "proxyconf/proxy_config.hpp"
#include "util/atomic_file.hpp"
#include "util/secure_dir.hpp"

namespace sr::egress {

std::string backup_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  return buf;
}

std::filesystem::path backup_path(const std::filesystem::path& base) {
  std::filesystem::path p = base.string() + ".rotated-" + backup_timestamp();
  for (int n = 2; util::path_exists_nofollow(p); ++n)
    p = base.string() + ".rotated-" + backup_timestamp() + "-" + std::to_string(n);
  return p;
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string names_looked_for(const Config& config) {
  std::string out;
  for (auto n : recognised_env_names()) out += (out.empty() ? "" : ", ") + std::string(n);
  for (const auto& s : config.secrets) out += ", " + s.env_name + " (config.yaml secrets:)";
  return out;
}

util::Result<void> ensure_ca(const Paths& paths, SetupEnv& env) {
  bool have_cert = util::path_exists_nofollow(paths.ca_cert());
  bool have_key = util::path_exists_nofollow(paths.ca_key());
  SR_TRY(util::refuse_symlink(paths.ca_cert()));
  SR_TRY(util::refuse_symlink(paths.ca_key()));
  if (have_cert && have_key) {
    SR_TRY(util::with_context(verify_ca_pair(paths.ca_cert(), paths.ca_key()),
                              "checking the existing CA (run 'sandbox-egress rotate-ca' to replace it)"));
    SR_ASSIGN(CaInfo info, inspect_ca(paths.ca_cert()));
    env.info("CA: keeping " + paths.ca_cert().string() + " (expires " + info.not_after + ")");
    if (info.not_after_epoch < std::time(nullptr) + 30 * 24 * 3600)
      env.warn("the CA expires on " + info.not_after + "; run 'sandbox-egress rotate-ca'");
    return {};
  }
  SR_ASSIGN(CaPem ca, generate_ca(CaOptions{}));
  SR_TRY(write_ca(ca, paths.ca_cert(), paths.ca_key()));
  SR_ASSIGN(CaInfo info, inspect_ca(paths.ca_cert()));
  env.info("CA: created " + paths.ca_cert().string() + " (expires " + info.not_after + ")");
  return {};
}

// Loads existing mappings; with --rotate-tokens, confirms and backs them up.
util::Result<Mappings> existing_mappings(const Paths& paths, TokenPolicy policy, SetupEnv& env) {
  auto loaded = load_mappings(paths.mappings());
  if (policy == TokenPolicy::keep_existing) {
    if (!loaded) return std::unexpected(loaded.error());
    return *loaded;
  }
  if (loaded && loaded->tokens.empty()) {
    env.info("--rotate-tokens: no existing tokens, nothing to rotate");
    return Mappings{};
  }
  if (!loaded && loaded.error().kind != util::ErrorKind::invalid_argument)
    return std::unexpected(loaded.error());
  if (env.confirm_rotation && !env.confirm_rotation())
    return util::fail(util::ErrorKind::generic, "token rotation not confirmed; nothing changed");
  SR_ASSIGN(std::string raw, util::read_file_nofollow(paths.mappings()));
  auto backup = backup_path(paths.mappings());
  SR_TRY(util::with_context(util::write_file_atomic(backup, raw, 0600), "backing up mappings"));
  env.info("tokens: previous mappings backed up to " + backup.string());
  return loaded ? *loaded : Mappings{};
}

util::Result<Mappings> update_mappings(const Paths& paths, const Discovery& found,
                                       TokenPolicy policy, SetupEnv& env) {
  SR_ASSIGN(Mappings old, existing_mappings(paths, policy, env));
  ReconcileReport report;
  SR_ASSIGN(Mappings fresh, reconcile(old, found, policy, report));
  SR_TRY(save_mappings(paths.mappings(), fresh));
  for (const auto& m : fresh.tokens) {
    bool kept = std::find(report.kept.begin(), report.kept.end(), m.env_name) != report.kept.end();
    std::string aliases = m.alias_env_names.empty() ? "" : " (also as " + join(m.alias_env_names) + ")";
    env.info("token: " + m.env_name + aliases + " -> " + redact_token(m.proxy_token) +
             (kept ? " (kept)" : " (new)"));
  }
  for (const auto& d : report.dropped)
    env.info("token: " + d + " dropped (no longer set)");
  return fresh;
}

// An internal network has no route out, but still reaches every address of
// the host itself: only the proxy's ports may answer it.
void protect_host(const Paths& paths, const Config& config, const InternalNetwork& net,
                  SetupEnv& env) {
  if (!env.firewall) return;
  const std::uint16_t port = config.proxy.tunnel_port;
  FirewallSpec spec{net.subnet, net.gateway, sandbox_facing_ports(port), net.bridge};
  const Backend backend = iptables_backend(*env.firewall);
  if (auto stale = other_backend_rules(*env.firewall); !stale.empty()) {
    std::string what;
    for (const auto& s : stale) what += (what.empty() ? "" : "; ") + s;
    env.warn("firewall: " + what + ": they still reject the proxy ports of " + net.name +
             " and intercept its traffic; " + other_backend_fix(backend));
  }
  if (auto ok = install_firewall(spec, *env.firewall); !ok) {
    env.warn(ok.error().message + "; sandboxes on " + net.name +
             " can reach every service listening on this host");
    return;
  }
  if (auto saved = write_firewall_record(paths, spec); !saved) env.warn(saved.error().message);
  env.info("firewall (iptables " + std::string(backend_name(backend)) + "): " + net.name + " (" + net.bridge + ") may reach only " + net.gateway + ":" +
           std::to_string(port) + "-" + std::to_string(port + kDnsPortOffset) + " on this host, IPv4 and IPv6");
  if (auto ok = install_interception(interception_spec(spec), *env.firewall); !ok) {
    const bool taken = ok.error().kind == util::ErrorKind::conflict;
    env.warn(ok.error().message + (taken ? "; `sandbox-egress start` refuses until then"
                                         : "; clients on " + net.name + " that ignore HTTPS_PROXY get no connection"));
    return;
  }
  env.info("interception: " + net.name + "'s TCP 443 and 80 and its DNS go to the proxy");
}

BindChoice bind_for(const Paths& paths, const Config& config, SetupEnv& env) {
  std::optional<std::string> gateway;
  std::string net_name(kInternalNetworkName);
  if (config.proxy.isolation == Isolation::internal) {
    if (!env.network) {
      env.warn("isolation is internal but Docker is not available here; using the bridge policy");
    } else if (auto net = env.network->ensure_internal_network(config.sandbox.allow_sandbox_to_sandbox)) {
      gateway = net->gateway;
      net_name = net->name;
      env.info("network: " + net->name + " " + net->subnet + " gateway " + net->gateway +
               (net->created ? " (created, internal)" : " (internal)"));
      if (auto wrong = network_mismatch(*net, config.sandbox.allow_sandbox_to_sandbox)) env.warn(*wrong);
      protect_host(paths, config, *net, env);
    } else {
      env.warn("could not prepare the internal Docker network " + net_name + ": " +
               net.error().message + "; re-run setup once Docker is reachable");
    }
  }
  std::vector<InterfaceAddress> ifs;
  if (auto listed = env.interfaces ? env.interfaces() : list_interface_addresses()) ifs = *listed;
  else env.warn("listing interfaces: " + listed.error().message);
  BindChoice choice = choose_bind_address(gateway, net_name, ifs);
  for (const auto& w : choice.warnings) env.warn(w);
  return choice;
}

void apply_options(Config& config, const SetupOptions& o) {
  config.proxy.enabled = true;
  if (o.tunnel_port) config.proxy.tunnel_port = *o.tunnel_port;
  if (o.engine) config.proxy.engine = *o.engine;
  if (o.isolation) config.proxy.isolation = *o.isolation;
  if (o.credential_source) config.proxy.credential_source = *o.credential_source;
  if (o.bitwarden_project) config.proxy.bitwarden_project = *o.bitwarden_project;
  if (o.forget_env_file) config.proxy.env_file.clear();
  if (o.env_file)
    config.proxy.env_file = std::filesystem::absolute(*o.env_file).lexically_normal().string();
}

// The env file in use (--env-file, else the recorded proxy.env_file): its
// values, for discovery. Owner and mode problems are warnings here (only
// presence is read) and refusals at start, which reads the values.
util::Result<std::map<std::string, std::string>> env_file_values(const Config& config,
                                                                 const SetupOptions& o, SetupEnv& env) {
  if (config.proxy.env_file.empty()) return std::map<std::string, std::string>{};
  auto loaded = load_credential_file(config.proxy.env_file, FileCheck::warn);
  if (!loaded) {
    if (o.env_file) return std::unexpected(std::move(loaded.error()).context("reading --env-file"));
    util::Error e = std::move(loaded.error())
                        .context("reading proxy.env_file (recorded by an earlier 'setup --env-file')");
    e.message += "; give the file again with --env-file FILE, or pass --no-env-file to stop using one";
    return std::unexpected(std::move(e));
  }
  for (const auto& w : loaded->warnings)
    env.warn(w + " ('sandbox-egress start' refuses to read it until then)");
  return std::move(loaded->values);
}

// Which credentials are present: exported, then the env file; with the
// Bitwarden source, the names the project holds instead.
util::Result<PresenceLookup> credential_presence(const Config& config,
                                                 const std::map<std::string, std::string>& file,
                                                 SetupEnv& env, std::string& where) {
  PresenceLookup exported = env.presence;
  PresenceLookup local = [exported, file](std::string_view name) -> std::optional<CredentialOrigin> {
    if (auto o = exported(name)) return o;
    if (auto it = file.find(std::string(name)); it != file.end() && !it->second.empty())
      return CredentialOrigin::env_file;
    return std::nullopt;
  };
  where = "the environment" + (config.proxy.env_file.empty() ? "" : " or " + config.proxy.env_file);
  if (config.proxy.credential_source != CredentialSource::bitwarden) return local;
  auto names = env.bitwarden_names
                   ? env.bitwarden_names(config.proxy, file)
                   : util::fail(util::ErrorKind::not_found, "Bitwarden is not available to this command");
  if (!names) {
    if (!config.proxy.allow_env_fallback)
      return util::fail(names.error().kind,
                        names.error().message + " (proxy.credential_source is bitwarden; "
                        "'sandbox-egress setup --no-bitwarden' switches to the environment)");
    env.warn(names.error().message + "; discovering credentials in " + where +
             " instead (allow_env_fallback)");
    return local;
  }
  where = "Bitwarden project " + config.proxy.bitwarden_project;
  return PresenceLookup([set = *names](std::string_view name) -> std::optional<CredentialOrigin> {
    if (std::find(set.begin(), set.end(), name) != set.end()) return CredentialOrigin::bitwarden;
    return std::nullopt;
  });
}

}  // namespace

std::optional<std::string> network_mismatch(const InternalNetwork& net, bool icc_wanted) {
  std::string wrong;
  if (net.ipv6) wrong = "has IPv6 on";
  if (net.icc && !icc_wanted) wrong += std::string(wrong.empty() ? "" : " and ") + "lets sandboxes reach each other (ICC on)";
  if (!net.icc && icc_wanted) wrong += std::string(wrong.empty() ? "" : " and ") + "has ICC off but sandbox.allow_sandbox_to_sandbox is true";
  if (wrong.empty()) return std::nullopt;
  return "network " + net.name + " " + wrong + "; recreate it: stop its sandboxes, then `docker network rm " +
         net.name + "` and `sandbox-egress setup`";
}

util::Result<void> run_setup(const Paths& paths, const SetupOptions& options, SetupEnv& env) {
  SR_ASSIGN(Config config, load_config(paths.config()));
  for (const auto& w : config.warnings) env.warn(w);
  apply_options(config, options);
  SR_ASSIGN(auto file_values, env_file_values(config, options, env));
  std::string where;
  SR_ASSIGN(PresenceLookup presence, credential_presence(config, file_values, env, where));
  const auto table = known_providers(config.secrets);
  Discovery found = discover(presence, table);
  for (const auto& u : found.uncovered)
    env.warn(u + " is set but uses signature-based auth the proxy cannot swap; a sandbox given "
                 "it would see the real credential");
  if (found.found.empty())
    return util::fail(util::ErrorKind::not_found,
                      "no provider credential found in " + where + "; looked for: " + names_looked_for(config));
  env.info("credentials: " + std::to_string(found.found.size()) + " provider(s) found in " + where);

  SR_TRY(util::with_context(util::ensure_private_dir(paths.state_dir()), "preparing state directory"));
  SR_TRY(ensure_ca(paths, env));
  SR_ASSIGN(Mappings mappings, update_mappings(paths, found, options.tokens, env));
  SR_TRY(ensure_management_token(paths.management_token()));

  BindChoice bind = bind_for(paths, config, env);
  SR_ASSIGN(auto model, render_settings(config, mappings, paths, bind.address));
  SR_TRY(util::with_context(
      util::write_file_atomic(paths.proxy_yaml(), proxyconf::render(model), 0600),
      "writing proxy.yaml"));
  env.info("proxy.yaml: " + paths.proxy_yaml().string() + " (engine " +
           std::string(to_string(config.proxy.engine)) + ", tunnel " + model.tunnel_listen +
           ", plain HTTP " + model.http_listen + ", bound via " + bind.source + ")");

  // Only the keys this run decided: a value the user never set stays unset.
  std::vector<ProxyKey> keys{ProxyKey::enabled};
  if (options.engine) keys.push_back(ProxyKey::engine);
  if (options.tunnel_port) keys.push_back(ProxyKey::tunnel_port);
  if (options.isolation) keys.push_back(ProxyKey::isolation);
  if (options.credential_source) keys.push_back(ProxyKey::credential_source);
  if (options.bitwarden_project) keys.push_back(ProxyKey::bitwarden_project);
  if (options.env_file || options.forget_env_file) keys.push_back(ProxyKey::env_file);
  SR_TRY(save_proxy_keys(paths.config(), config.proxy, keys));
  env.info("config: " + paths.config().string() + ": proxy.enabled = true, credential_source = " +
           std::string(to_string(config.proxy.credential_source)) +
           (config.proxy.env_file.empty() ? "" : ", env_file = " + config.proxy.env_file));
  return {};
}

}  // namespace sr::egress
