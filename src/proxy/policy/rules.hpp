// The rule set one request is checked against: an immutable snapshot built
// from proxy.yaml and the process environment at start and on every reload,
// shared through std::shared_ptr so in-flight requests finish on the rules
// they started with.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "proxy/policy/cidr.hpp"
#include "proxy/policy/host_match.hpp"
#include "proxy/policy/narrowing.hpp"
#include "proxy/policy/scrubber.hpp"
#include "proxy/policy/secrets.hpp"
#include "proxyconf/proxy_config.hpp"
#include "util/error.hpp"

namespace sr::proxy {

struct Rules {
  proxyconf::ProxyConfig config;
  HostMatcher allowlist;
  NarrowingTable narrowings;  // per-sandbox subsets of the allowlist, by source address
  CidrSet deny;
  SecretSet secrets;
  std::shared_ptr<const ScrubRules> scrub;  // never null; empty() when no secrets
  std::chrono::milliseconds header_timeout{30'000};
};

// Builds the snapshot; fails (invalid_argument) naming the offending section.
// `narrowings`: the entries of narrowings.json (none when not given).
util::Result<std::shared_ptr<const Rules>> build_rules(
    proxyconf::ProxyConfig config, const SecretLookup& lookup,
    const std::vector<proxyconf::SandboxNarrowing>& narrowings = {});

}  // namespace sr::proxy
