#include "proxy/rules.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace sr::proxy {

util::Result<std::chrono::milliseconds> parse_go_duration(std::string_view text) {
  auto bad = [&] {
    return util::fail(util::ErrorKind::invalid_argument,
                      "invalid duration '" + std::string(text) + "' (expected e.g. 30s, 1m30s, 500ms)");
  };
  if (text.empty()) return bad();
  if (text == "0") return std::chrono::milliseconds(0);
  double total_ms = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t i = 0;
    while (i < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[i])) || rest[i] == '.')) ++i;
    if (i == 0) return bad();
    double number = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + i, number);
    if (ec != std::errc() || ptr != rest.data() + i) return bad();
    rest.remove_prefix(i);
    std::size_t u = 0;
    while (u < rest.size() && std::isalpha(static_cast<unsigned char>(rest[u]))) ++u;
    std::string_view unit = rest.substr(0, u);
    rest.remove_prefix(u);
    double scale = 0;
    if (unit == "h") scale = 3'600'000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "s") scale = 1'000;
    else if (unit == "ms") scale = 1;
    else if (unit == "us" || unit == "µs") scale = 0.001;
    else if (unit == "ns") scale = 0.000001;
    else return bad();
    total_ms += number * scale;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(total_ms)));
}

util::Result<std::shared_ptr<const Rules>> build_rules(proxyconf::ProxyConfig config,
                                                       const SecretLookup& lookup) {
  auto rules = std::make_shared<Rules>();
  SR_ASSIGN(rules->allowlist, util::with_context(HostMatcher::create(config.allowlist),
                                                 "transforms: allowlist"));
  SR_ASSIGN(rules->deny, util::with_context(CidrSet::create(config.upstream_deny_cidrs),
                                            "proxy.upstream_deny_cidrs"));
  SR_ASSIGN(rules->secrets, util::with_context(SecretSet::create(config.secrets, lookup),
                                               "transforms: secrets"));
  SR_ASSIGN(rules->header_timeout,
            util::with_context(parse_go_duration(config.upstream_response_header_timeout),
                               "proxy.upstream_response_header_timeout"));
  rules->scrub = std::make_shared<const ScrubRules>(rules->secrets.echo_replacements());
  rules->config = std::move(config);
  return std::shared_ptr<const Rules>(std::move(rules));
}

}  // namespace sr::proxy
