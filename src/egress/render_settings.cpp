#include "egress/render_settings.hpp"

#include "egress/bind_address.hpp"
#include "egress/interception.hpp"
#include "egress/declared_secrets.hpp"
#include "egress/providers.hpp"
#include "egress/validate.hpp"
#include "util/add_unique.hpp"

namespace sr::egress {

namespace {

using util::add_unique;

util::Result<std::vector<std::string>> allowlist(const Config& c, const Mappings& m) {
  const ProxySettings& p = c.proxy;
  std::vector<std::string> out;
  for (auto h : default_allowed_hosts()) add_unique(out, std::string(h));
  for (const auto& t : m.tokens)
    for (const auto& h : t.upstream_hosts) add_unique(out, h);
  // A declared credential's hosts are allowed whether or not its value is
  // present, as the built-in providers' are.
  for (const auto& s : c.secrets)
    for (const auto& h : s.hosts) add_unique(out, h);
  for (const auto& h : c.preset_hosts) add_unique(out, h);
  for (const auto& h : p.extra_allowed_hosts) {
    auto n = normalize_allowed_host(h);
    if (!n) return std::unexpected(std::move(n.error()).context("proxy.extra_allowed_hosts"));
    add_unique(out, *n);
  }
  return out;
}

util::Result<std::vector<std::string>> deny_cidrs(const ProxySettings& p) {
  if (!p.upstream_deny_cidrs) return proxyconf::default_deny_cidrs();
  for (const auto& c : *p.upstream_deny_cidrs) {
    auto ok = validate_cidr(c);
    if (!ok) return std::unexpected(std::move(ok.error()).context("proxy.upstream_deny_cidrs"));
  }
  return *p.upstream_deny_cidrs;
}

proxyconf::Secret secret_for(const Mapping& m, Engine engine, std::span<const Provider> table) {
  proxyconf::Secret s;
  s.source_var = m.env_name;
  s.proxy_value = m.proxy_token;
  s.match_headers = m.match_headers;
  const Provider* p = find_provider(m.env_name, table);
  s.match_query = p && match_query(*p);
  s.match_body = p && p->match_body;
  s.require = engine == Engine::builtin && (!p || p->require_token);
  s.rule_hosts = m.upstream_hosts;
  return s;
}

}  // namespace

util::Result<proxyconf::ProxyConfig> render_settings(const Config& config, const Mappings& mappings,
                                                     const Paths& paths,
                                                     const std::string& bind_address) {
  const ProxySettings& p = config.proxy;
  if (p.tunnel_port < 1 || p.tunnel_port > 65531)
    return util::fail(util::ErrorKind::invalid_argument,
                      "tunnel_port " + std::to_string(p.tunnel_port) + " is outside 1..65531");
  if (bind_address != kLoopback) SR_TRY(validate_bind_address(bind_address));
  proxyconf::ProxyConfig pc;
  const std::string port = std::to_string(p.tunnel_port);
  pc.tunnel_listen = bind_address + ":" + port;
  pc.http_listen = bind_address + ":" + std::to_string(p.tunnel_port + 1);
  pc.management_listen = std::string(kLoopback) + ":" + std::to_string(p.tunnel_port + 2);
  // The interception's listeners (egress/interception.hpp): TLS to port 443
  // and DNS redirected from the internal network. iron-proxy v0.39 serves
  // the same roles on these keys; its DNS answers only with an IPv4 proxy_ip.
  pc.https_listen = bind_address + ":" + std::to_string(p.tunnel_port + kHttpsPortOffset);
  pc.dns_listen = bind_address + ":" + std::to_string(p.tunnel_port + kDnsPortOffset);
  if (bind_address.find(':') == std::string::npos) pc.dns_proxy_ip = bind_address;
  pc.management_api_key_env = kManagementKeyEnv;
  pc.ca_cert = paths.ca_cert().string();
  pc.ca_key = paths.ca_key().string();
  SR_ASSIGN(pc.upstream_deny_cidrs, deny_cidrs(p));
  SR_ASSIGN(pc.allowlist, allowlist(config, mappings));
  const auto table = known_providers(config.secrets);
  for (const auto& m : mappings.tokens) pc.secrets.push_back(secret_for(m, p.engine, table));
  return pc;
}

}  // namespace sr::egress
