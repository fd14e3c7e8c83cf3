// Rules and heads for the request-gate tests (gate_test.cpp, gate_table_test.cpp).
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proxy/policy/gate.hpp"

namespace gate_test {

using namespace sr::proxy::policy;

inline const std::string kToken = "openai-00112233445566778899aabbccddeeff";
inline const std::string kValue = "sk-REAL-openai-value-123";
inline const std::string kBodyToken = "anthropic-0123456789abcdef0123456789abcdef";
inline const std::string kBodyValue = "sk-ant-REAL";

// Allowlist: api.openai.com, api.anthropic.com, echo.test (no secrets), *.allowed.test.
// OPENAI_API_KEY: Authorization towards api.openai.com; ANTHROPIC_API_KEY:
// x-api-key and the body towards api.anthropic.com.
inline std::shared_ptr<const sr::proxy::Rules> make_rules() {
  auto rules = std::make_shared<sr::proxy::Rules>();
  auto allow = sr::proxy::HostMatcher::create({"api.openai.com", "api.anthropic.com", "echo.test", "*.allowed.test"});
  REQUIRE(allow);
  rules->allowlist = std::move(*allow);
  sr::proxyconf::Secret openai;
  openai.source_var = "OPENAI_API_KEY";
  openai.proxy_value = kToken;
  openai.match_headers = {"Authorization"};
  openai.rule_hosts = {"api.openai.com"};
  sr::proxyconf::Secret anthropic;
  anthropic.source_var = "ANTHROPIC_API_KEY";
  anthropic.proxy_value = kBodyToken;
  anthropic.match_headers = {"x-api-key"};
  anthropic.match_body = true;
  anthropic.rule_hosts = {"api.anthropic.com"};
  std::map<std::string, std::string> env{{"OPENAI_API_KEY", kValue}, {"ANTHROPIC_API_KEY", kBodyValue}};
  auto set = sr::proxy::SecretSet::create({openai, anthropic}, [env](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(std::string(n));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  REQUIRE(set);
  rules->secrets = std::move(*set);
  rules->scrub = std::make_shared<const sr::proxy::ScrubRules>(std::vector<sr::proxy::Replacement>{});
  return rules;
}

inline ConnContext forward() { return ConnContext{Listener::forward, {}, UpstreamLeg::plain}; }
inline ConnContext tunnel_tls(std::string host = "api.openai.com", std::uint16_t port = 443) {
  return ConnContext{Listener::tunnel_tls, Authority{std::move(host), port, true}, UpstreamLeg::tls_verified};
}
inline ConnContext tunnel_plain(std::string host = "api.openai.com", std::uint16_t port = 80) {
  return ConnContext{Listener::tunnel_plain, Authority{std::move(host), port, false}, UpstreamLeg::plain};
}

// A head whose views point into `storage` (kept alive by the caller).
struct Head {
  std::string method = "GET";
  std::string target = "/";
  unsigned version = 11;
  std::vector<std::pair<std::string, std::string>> fields;

  [[nodiscard]] RequestHead view() const {
    RequestHead h{method, target, version, {}};
    for (const auto& [n, v] : fields) h.fields.push_back({n, v});
    return h;
  }
};

inline std::vector<std::pair<std::string, std::string>> fields_of(const UpstreamHead& h) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : h) out.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return out;
}

inline std::size_t count(const UpstreamHead& h, std::string_view name) {
  std::size_t n = 0;
  for (const auto& f : h)
    if (iequals(std::string_view(f.name_string().data(), f.name_string().size()), name)) ++n;
  return n;
}

inline std::string value(const UpstreamHead& h, std::string_view name) {
  for (const auto& f : h)
    if (iequals(std::string_view(f.name_string().data(), f.name_string().size()), name))
      return std::string(f.value());
  return {};
}

}  // namespace gate_test
