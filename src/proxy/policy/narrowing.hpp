// Per-sandbox narrowing as the engine applies it: the sandbox's source
// address on the egress network selects a host set that a request must match
// in addition to the global allowlist (docs/security-model.md, "Per-sandbox
// narrowing"). Pure: the callers pass the client address.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/policy/host_match.hpp"
#include "proxyconf/narrowings.hpp"
#include "util/error.hpp"

namespace sr::proxy {

struct Narrowing {
  std::string label;  // "profile NAME", "--egress-allow": named in refusals and audit lines
  HostMatcher hosts;
};

class NarrowingTable {
 public:
  NarrowingTable() = default;  // no sandbox is narrowed
  // Fails (invalid_argument) naming the entry whose host list is invalid.
  static util::Result<NarrowingTable> create(const std::vector<proxyconf::SandboxNarrowing>& entries);

  // The narrowing of the client at `address` (an IP literal as the socket
  // reports it; an IPv4-mapped IPv6 address counts as its IPv4 address), or
  // nullptr for a sandbox that is not narrowed.
  [[nodiscard]] const Narrowing* find(std::string_view address) const;
  [[nodiscard]] std::size_t size() const { return by_address_.size(); }

 private:
  std::map<std::string, Narrowing, std::less<>> by_address_;
};

// The refusal text of a host outside the sandbox's narrowing.
std::string narrowing_refusal(const Narrowing& n, std::string_view host);

}  // namespace sr::proxy
