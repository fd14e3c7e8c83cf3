#include "proxy/policy/rules.hpp"


namespace sr::proxy {

util::Result<std::shared_ptr<const Rules>> build_rules(
    proxyconf::ProxyConfig config, const SecretLookup& lookup,
    const std::vector<proxyconf::SandboxNarrowing>& narrowings) {
  auto rules = std::make_shared<Rules>();
  SR_ASSIGN(rules->allowlist, util::with_context(HostMatcher::create(config.allowlist),
                                                 "transforms: allowlist"));
  SR_ASSIGN(rules->narrowings, NarrowingTable::create(narrowings));
  SR_ASSIGN(rules->deny, util::with_context(CidrSet::create(config.upstream_deny_cidrs),
                                            "proxy.upstream_deny_cidrs"));
  SR_ASSIGN(rules->secrets, util::with_context(SecretSet::create(config.secrets, lookup),
                                               "transforms: secrets"));
  // The engine's timers count whole milliseconds; a fraction rounds up.
  rules->header_timeout = std::chrono::ceil<std::chrono::milliseconds>(config.upstream_response_header_timeout);
  rules->scrub = std::make_shared<const ScrubRules>(rules->secrets.echo_replacements());
  rules->config = std::move(config);
  return std::shared_ptr<const Rules>(std::move(rules));
}

}  // namespace sr::proxy
