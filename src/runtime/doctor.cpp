#include "runtime/doctor.hpp"

#include <array>
#include <chrono>
#include <filesystem>
#include <optional>

#include <boost/asio/ip/address.hpp>

#include "daemon/daemon_state.hpp"
#include "daemon/installer.hpp"
#include "egress/ca.hpp"
#include "egress/interception.hpp"
#include "egress/mappings.hpp"
#include "egress/providers.hpp"
#include "proxyconf/proxy_config.hpp"
#include "runtime/doctor_isolation.hpp"
#include "runtime/doctor_probes.hpp"
#include "runtime/egress_launch.hpp"
#include "util/atomic_file.hpp"

namespace sr::runtime {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 15> kNames = {
    "engine",   "config",   "ca",           "proxy-config", "mappings",  "daemon",
    "listener", "network",  "firewall",     "interception", "runtime",   "reachability",
    "canary",   "deny-metadata", "uncovered"};

// What earlier checks learned, for later ones.
struct State {
  const DoctorEnv& env;
  std::optional<egress::Config> config;
  std::optional<proxyconf::ProxyConfig> proxy;
  std::optional<egress::Mappings> mappings;
  std::optional<sr::daemon::DaemonState> daemon;
};

CheckResult result(std::string_view name, CheckStatus s, std::string detail, std::string fix = {}) {
  return {std::string(name), s, std::move(detail), std::move(fix)};
}

CheckResult check_config(State& st) {
  auto c = egress::load_config(st.env.paths.config());
  if (!c) return result("config", CheckStatus::fail, c.error().message,
                        "fix the file, or remove it and run `sandbox-egress setup`");
  st.config = *c;
  if (!c->proxy.enabled)
    return result("config", CheckStatus::warn, "egress is disabled (proxy.enabled: false)",
                  "sandbox-egress setup");
  std::string detail = st.env.paths.config().string() + " parses";
  if (!c->warnings.empty()) return result("config", CheckStatus::warn, detail + "; " + c->warnings[0]);
  return result("config", CheckStatus::pass, detail);
}

CheckResult check_engine(State& st) {
  if (!st.config) st.config = egress::load_config(st.env.paths.config()).value_or(egress::Config{});
  if (st.config->proxy.engine == egress::Engine::builtin)
    return result("engine", CheckStatus::pass, "built-in engine (sandbox-egress serve)");
  const auto bin = st.env.paths.iron_proxy_binary();
  if (!fs::exists(bin))
    return result("engine", CheckStatus::fail, "iron-proxy not installed at " + bin.string(),
                  "sandbox-egress install");
  auto v = sr::daemon::probe_version(st.env.paths, bin);
  if (!v) return result("engine", CheckStatus::fail, v.error().message, "sandbox-egress install --force");
  return result("engine", CheckStatus::pass, "iron-proxy " + *v + " at " + bin.string());
}

CheckResult check_ca(State& st) {
  auto info = egress::inspect_ca(st.env.paths.ca_cert());
  if (!info) return result("ca", CheckStatus::fail, info.error().message, "sandbox-egress setup");
  if (auto pair = egress::verify_ca_pair(st.env.paths.ca_cert(), st.env.paths.ca_key()); !pair)
    return result("ca", CheckStatus::fail, pair.error().message, "sandbox-egress rotate-ca");
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  const auto days_left = (info->not_after_epoch - now) / 86400;
  if (days_left < 0)
    return result("ca", CheckStatus::fail, "expired on " + info->not_after, "sandbox-egress rotate-ca");
  if (days_left < 30)
    return result("ca", CheckStatus::warn,
                  "expires in " + std::to_string(days_left) + " days (" + info->not_after + ")",
                  "sandbox-egress rotate-ca");
  return result("ca", CheckStatus::pass, "valid until " + info->not_after);
}

CheckResult check_proxy_config(State& st) {
  auto p = proxyconf::load(st.env.paths.proxy_yaml());
  if (!p) return result("proxy-config", CheckStatus::fail, p.error().message, "sandbox-egress setup");
  st.proxy = *p;
  return result("proxy-config", CheckStatus::pass,
                st.env.paths.proxy_yaml().string() + ": " + std::to_string(p->allowlist.size()) +
                    " allowed hosts, " + std::to_string(p->secrets.size()) + " secrets");
}

CheckResult check_mappings(State& st) {
  auto m = egress::load_mappings(st.env.paths.mappings());
  if (!m) return result("mappings", CheckStatus::fail, m.error().message, "sandbox-egress setup");
  st.mappings = *m;
  if (m->tokens.empty())
    return result("mappings", CheckStatus::fail, "no provider mappings",
                  "sandbox-egress setup --env-file FILE");
  std::vector<std::string> missing;
  for (const auto& t : m->tokens) {
    bool present = st.env.getenv(t.env_name.c_str()) != nullptr;
    for (const auto& a : t.alias_env_names) present = present || st.env.getenv(a.c_str()) != nullptr;
    if (!present) missing.push_back(t.env_name);
  }
  std::string detail = std::to_string(m->tokens.size()) + " mapping(s)";
  if (!missing.empty()) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    return result("mappings", CheckStatus::warn,
                  detail + "; not set in this environment: " + names,
                  "export them before `sandbox-egress start` (the daemon reads them at start)");
  }
  return result("mappings", CheckStatus::pass, detail + ", all credentials present");
}

CheckResult check_daemon(State& st) {
  st.daemon = sr::daemon::inspect_daemon(st.env.paths, st.config.value_or(egress::Config{}));
  if (!st.daemon->ours) return result("daemon", CheckStatus::fail, st.daemon->detail, "sandbox-egress start");
  return result("daemon", CheckStatus::pass, "running, pid " + std::to_string(*st.daemon->pid));
}

CheckResult check_listener(State& st) {
  if (!st.daemon || !st.daemon->ours) return result("listener", CheckStatus::skip, "daemon not running");
  if (!st.daemon->listening)
    return result("listener", CheckStatus::fail, "not accepting on " + st.daemon->tunnel_address,
                  "sandbox-egress restart");
  return result("listener", CheckStatus::pass, "accepting on " + st.daemon->tunnel_address);
}

CheckResult check_deny_metadata(State& st) {
  if (!st.proxy) return result("deny-metadata", CheckStatus::skip, "proxy config not readable");
  const auto metadata = boost::asio::ip::make_address_v4("169.254.169.254").to_uint();
  for (const auto& cidr : st.proxy->upstream_deny_cidrs) {
    auto slash = cidr.find('/');
    boost::system::error_code ec;
    auto net = boost::asio::ip::make_address_v4(cidr.substr(0, slash), ec);
    if (ec || slash == std::string::npos) continue;
    const int prefix = std::stoi(cidr.substr(slash + 1));
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    if ((net.to_uint() & mask) == (metadata & mask))
      return result("deny-metadata", CheckStatus::pass, "cloud metadata range denied by " + cidr);
  }
  return result("deny-metadata", CheckStatus::fail,
                "upstream_deny_cidrs does not cover 169.254.169.254 (cloud metadata)",
                "add 169.254.0.0/16 to proxy.upstream_deny_cidrs, then sandbox-egress setup");
}

CheckResult check_uncovered(State& st) {
  std::string present;
  for (auto name : egress::uncovered_env_names())
    if (st.env.getenv(std::string(name).c_str())) present += (present.empty() ? "" : ", ") + std::string(name);
  if (present.empty()) return result("uncovered", CheckStatus::pass, "no uncovered credentials in the environment");
  return result("uncovered", CheckStatus::warn,
                present + " use signature-based auth the proxy cannot swap",
                "do not pass them to sandboxes");
}

// The nat rules setup installs for the network it recorded (firewall.subnet):
// without them, clients that ignore HTTPS_PROXY get no connection at all.
CheckResult check_interception(State& st) {
  const std::string name = "interception";
  if (!st.env.firewall) return result(name, CheckStatus::skip, "no firewall access here");
  if (!st.config || st.config->proxy.isolation != egress::Isolation::internal)
    return result(name, CheckStatus::skip, "isolation is not internal");
  if (!st.proxy) return result(name, CheckStatus::skip, "proxy config not readable");
  auto record = egress::read_firewall_record(st.env.paths);
  if (!record || !*record || (*record)->bridge.empty())
    return result(name, CheckStatus::fail, "setup recorded no internal network", "sandbox-egress setup");
  egress::InterceptionSpec spec{(*record)->bridge, proxy_listen_host(st.proxy->https_listen),
                                st.config->proxy.tunnel_port};
  auto missing = egress::check_interception(spec, *st.env.firewall);
  if (!missing.empty())
    return result(name, CheckStatus::fail, missing, "sandbox-egress start (as root) re-applies it");
  return result(name, CheckStatus::pass, spec.bridge + ": TCP 443/80 and DNS go to the proxy");
}

CheckResult run_one(std::string_view name, State& st, const DoctorOptions& o) {
  if (name == "interception") return check_interception(st);
  if (name == "engine") return check_engine(st);
  if (name == "config") return check_config(st);
  if (name == "ca") return check_ca(st);
  if (name == "proxy-config") return check_proxy_config(st);
  if (name == "mappings") return check_mappings(st);
  if (name == "daemon") return check_daemon(st);
  if (name == "listener") return check_listener(st);
  if (name == "deny-metadata") return check_deny_metadata(st);
  if (name == "uncovered") return check_uncovered(st);
  IsolationContext iso{st.env.paths, st.config.value_or(egress::Config{}), st.env.docker};
  if (name == "network") return check_network(iso);
  if (name == "firewall") return check_firewall(iso);
  if (name == "runtime") return check_runtime(iso);
  if (o.network == Network::skip) return result(name, CheckStatus::skip, "--no-network");
  ProbeContext ctx{st.env.paths, st.config.value_or(egress::Config{}), st.proxy, st.mappings,
                   st.daemon, st.env.docker, o.probe_image};
  if (name == "reachability") return check_reachability(ctx);
  return check_canary(ctx);
}

}  // namespace

std::string_view to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass: return "pass";
    case CheckStatus::warn: return "warn";
    case CheckStatus::fail: return "fail";
    case CheckStatus::skip: return "skip";
  }
  return "skip";
}

std::span<const std::string_view> doctor_check_names() { return kNames; }

std::vector<CheckResult> run_doctor(const DoctorEnv& env, const DoctorOptions& options) {
  State st{env, {}, {}, {}, {}};
  // Checks feed each other (config -> daemon, proxy config -> deny list), so
  // every check runs in order and --check only filters what is reported.
  std::vector<CheckResult> out;
  for (auto name : kNames) {
    const bool wanted = options.only.empty() ||
                        std::find(options.only.begin(), options.only.end(), name) != options.only.end();
    const bool networked = name == "reachability" || name == "canary";
    if (!wanted && networked) continue;
    auto r = run_one(name, st, options);
    if (wanted) out.push_back(std::move(r));
  }
  return out;
}

nlohmann::json doctor_json(const std::vector<CheckResult>& results) {
  nlohmann::json checks = nlohmann::json::array();
  nlohmann::json summary = {{"pass", 0}, {"warn", 0}, {"fail", 0}, {"skip", 0}};
  for (const auto& r : results) {
    checks.push_back({{"name", r.name}, {"status", to_string(r.status)}, {"detail", r.detail},
                      {"fix", r.fix}});
    summary[std::string(to_string(r.status))] = summary[std::string(to_string(r.status))].get<int>() + 1;
  }
  return {{"checks", checks}, {"summary", summary}, {"ok", summary["fail"].get<int>() == 0}};
}

}  // namespace sr::runtime
