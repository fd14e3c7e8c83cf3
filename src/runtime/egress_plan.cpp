#include "runtime/egress_plan.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>

#include "util/digest.hpp"

namespace sr::runtime {
namespace {

constexpr std::array<std::string_view, 22> kControlVars = {
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",     "http_proxy",
    "NO_PROXY",    "no_proxy",    "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
    "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "NODE_OPTIONS", "SANDBOX_EGRESS",
    "NODE_USE_ENV_PROXY", "GLOBAL_AGENT_HTTPS_PROXY", "GLOBAL_AGENT_HTTP_PROXY", "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE", "DENO_CERT", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "PIP_CERT", "npm_config_cafile",
    "CARGO_HTTP_CAINFO"};
constexpr std::string_view kTokenAliasPrefix = "SANDBOX_PROXY_TOKEN_";
constexpr std::string_view kNoProxy = "127.0.0.1,localhost,::1";

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The NODE_OPTIONS a sandbox would otherwise get: the highest-precedence
// source wins, as in the container's final environment.
std::string effective_node_options(const std::vector<EnvSource>& sources) {
  std::string value;
  for (const auto& s : sources)
    if (s.key == "NODE_OPTIONS") value = s.value;
  return value;
}

bool network_keeps_proxy(const EgressInputs& in) {
  const std::string& u = in.user_network;
  if (u.empty()) return true;
  if (in.network.empty()) return u == "default" || u == "bridge";
  return u == in.network;
}

void add_mapping_env(const egress::Mapping& m, EgressPlan& plan) {
  auto add = [&](const std::string& name) {
    plan.env.emplace_back(name, m.proxy_token);
    plan.env.emplace_back(std::string(kTokenAliasPrefix) + name, m.proxy_token);
  };
  add(m.env_name);
  for (const auto& alias : m.alias_env_names) add(alias);
  plan.token_values.push_back(m.proxy_token);
}

// A user value equal to a real credential is refused whatever its name: the
// real key must never enter a sandbox by any route.
std::optional<std::string> real_secret_owner(const EgressInputs& in, const std::string& value) {
  if (value.empty() || !in.real_value || !in.mappings) return std::nullopt;
  for (const auto& m : in.mappings->tokens) {
    std::vector<std::string> names{m.env_name};
    names.insert(names.end(), m.alias_env_names.begin(), m.alias_env_names.end());
    for (const auto& n : names) {
      auto real = in.real_value(n);
      if (real && !real->empty() && *real == value) return m.env_name;
    }
  }
  return std::nullopt;
}

void find_collisions(const EgressInputs& in, EgressPlan& plan) {
  std::map<std::string, std::string, std::less<>> injected(plan.env.begin(), plan.env.end());
  for (const auto& s : in.user_env) {
    if (auto owner = real_secret_owner(in, s.value)) {
      plan.collisions.push_back({CollisionKind::real_secret, s.key, s.origin,
                                 s.key + " (from " + s.origin + ") holds the real credential of " +
                                     *owner + "; a real key must never enter a sandbox"});
      continue;
    }
    if (s.key == "NODE_OPTIONS") continue;  // merged, not overridden
    auto it = injected.find(s.key);
    if (it == injected.end() || it->second == s.value) continue;
    const bool control = is_proxy_control_var(s.key);
    plan.collisions.push_back(
        {control ? CollisionKind::overrides_proxy_control : CollisionKind::overrides_mapped, s.key,
         s.origin,
         s.key + " (from " + s.origin + ") would override the " +
             (control ? "proxy-controlled" : "proxy token") + " value the sandbox needs"});
  }
  if (!network_keeps_proxy(in)) {
    const std::string want = in.network.empty() ? "the default bridge" : in.network;
    plan.collisions.push_back({CollisionKind::network, "--network", "--network",
                               "--network " + in.user_network +
                                   " would take the sandbox off the proxy's network (" + want +
                                   ")"});
  }
}

std::string fingerprint(const EgressPlan& plan) {
  std::string material = "bind=" + plan.bind + "\nhost=" + plan.extra_host +
                         "\nnetwork=" + plan.network + "\ndns=" + plan.dns + "\n";
  for (const auto& h : plan.pinned_hosts) material += "pin=" + h + "\n";
  for (const auto& [k, v] : plan.env) material += k + "=" + v + "\n";
  return util::sha256_hex(material);
}

}  // namespace

bool is_proxy_control_var(std::string_view key) {
  return std::find(kControlVars.begin(), kControlVars.end(), key) != kControlVars.end() ||
         key.starts_with(kTokenAliasPrefix);
}

std::string merge_node_options(std::string_view user_value, std::vector<std::string>& warnings) {
  std::string out;
  for (const auto& w : split_words(user_value)) {
    if (w == "--use-bundled-ca") {
      warnings.push_back(
          "NODE_OPTIONS: removed --use-bundled-ca, which would make Node ignore the egress CA");
      continue;
    }
    if (w == "--use-openssl-ca") continue;  // appended once below
    out += w + " ";
  }
  return out + "--use-openssl-ca";
}

EgressPlan plan_egress(const EgressInputs& in) {
  EgressPlan plan;
  const std::string https = "http://" + std::string(kProxyHostName) + ":" +
                            std::to_string(in.tunnel_port);
  const std::string http = "http://" + std::string(kProxyHostName) + ":" +
                           std::to_string(in.tunnel_port + 1);
  const std::string ca(kCaMountPath);
  plan.env = {{"HTTPS_PROXY", https}, {"https_proxy", https},        {"HTTP_PROXY", http},
              {"http_proxy", http},   {"NO_PROXY", std::string(kNoProxy)},
              {"no_proxy", std::string(kNoProxy)}, {"REQUESTS_CA_BUNDLE", ca},
              {"SSL_CERT_FILE", ca},  {"CURL_CA_BUNDLE", ca},         {"NODE_EXTRA_CA_CERTS", ca}};
  plan.env.emplace_back("NODE_OPTIONS",
                        merge_node_options(effective_node_options(in.user_env), plan.warnings));
  // Clients that take the proxy or the CA only from a variable of their own:
  // Node >= 24's built-in fetch/http (NODE_USE_ENV_PROXY), the global-agent
  // package, git, the AWS SDKs and CLI, Deno, gRPC's C core, pip (its
  // vendored requests reads PIP_CERT before the bundle variables), npm
  // (its own cafile setting) and cargo. Clients that
  // ignore all of these are still covered on the internal network by the
  // interception of ports 443 and 80.
  for (auto [k, v] : {std::pair<const char*, std::string>{"NODE_USE_ENV_PROXY", "1"},
                      {"GLOBAL_AGENT_HTTPS_PROXY", https}, {"GLOBAL_AGENT_HTTP_PROXY", http},
                      {"GIT_SSL_CAINFO", ca}, {"AWS_CA_BUNDLE", ca}, {"DENO_CERT", ca},
                      {"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", ca}, {"PIP_CERT", ca}, {"npm_config_cafile", ca},
                      {"CARGO_HTTP_CAINFO", ca}})
    plan.env.emplace_back(k, std::move(v));
  if (in.mappings)
    for (const auto& m : in.mappings->tokens) add_mapping_env(m, plan);
  plan.env.emplace_back("SANDBOX_EGRESS", "1");

  plan.bind = in.ca_cert_host_path + ":" + ca + ":ro";
  plan.extra_host = std::string(kProxyHostName) + ":" + in.proxy_host_address;
  plan.network = in.network;
  plan.dns = in.dns_server;
  if (!plan.dns.empty())
    for (const auto& host : in.allowlist)
      if (host.find_first_of("*:") == std::string::npos && !std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= '0' && c <= '9') || c == '.';
          }))
        plan.pinned_hosts.push_back(host + ":" + plan.dns);
  find_collisions(in, plan);
  plan.fingerprint = fingerprint(plan);
  return plan;
}

void apply_egress(const EgressPlan& plan, nlohmann::json& body, UserWins user_wins) {
  std::vector<std::string> env;
  if (body.contains("Env") && body["Env"].is_array())
    for (const auto& e : body["Env"]) env.push_back(e.get<std::string>());
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  auto collided = [&](const std::string& key) {
    return std::any_of(plan.collisions.begin(), plan.collisions.end(),
                       [&](const Collision& c) { return c.key == key; });
  };
  for (const auto& [k, v] : plan.env) {
    if (user_wins == UserWins::yes && k != "NODE_OPTIONS" && collided(k)) continue;
    const std::string kv = k + "=" + v;
    auto it = std::find_if(env.begin(), env.end(), [&](const auto& e) { return key_of(e) == k; });
    if (it != env.end())
      *it = kv;
    else
      env.push_back(kv);
  }
  body["Env"] = env;

  auto& host = body["HostConfig"];
  host["Binds"].push_back(plan.bind);
  host["ExtraHosts"].push_back(plan.extra_host);
  if (!plan.network.empty() && !collided("--network")) host["NetworkMode"] = plan.network;
  // The engine's DNS responder (reached through Docker's embedded resolver,
  // which forwards to it): allowlisted names resolve to the proxy.
  if (!plan.dns.empty() && !collided("--network")) {
    host["Dns"] = nlohmann::json::array({plan.dns});
    for (const auto& pinned : plan.pinned_hosts) host["ExtraHosts"].push_back(pinned);
  }
  body["Labels"][std::string(kFingerprintLabel)] = plan.fingerprint;
}

}  // namespace sr::runtime
