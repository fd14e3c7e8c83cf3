// Host names as the allowlist and the secrets rules see them.
//
// Matching semantics (the built-in engine; differs from iron-proxy v0.39 on
// purpose):
//   - exact entries ("api.openai.com") match that name only;
//   - wildcard entries ("*.example.com") match any name with at least one more
//     label ("a.example.com", "a.b.example.com") but NOT the apex
//     "example.com". v0.39 also matches the apex; we do not, so a credential
//     or an allowlist entry scoped to subdomains never reaches the bare domain
//     unless it is listed too (the default allowlist and the provider table
//     list both forms where both are wanted, e.g. openrouter.ai).
//   - comparison is on normalised names (normalize_host), so case, one
//     trailing dot, IPv6 brackets and a :port never make a difference.
//   - IP literals match only exact entries, compared in canonical text form
//     ("[0:0::1]" matches "::1"); a wildcard never matches an IP literal.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "util/error.hpp"

namespace sr::proxy {

// Normalises a host as it appears in a CONNECT target, a Host header, an
// absolute URI authority, an SNI value or a config entry:
//   lowercase ASCII; strip ":port" (digits only) from "host:port" and
//   "[v6]:port"; strip IPv6 brackets; strip ONE trailing dot; IP literals are
//   rewritten to their canonical text form (IPv4-mapped IPv6 stays IPv6).
// Returns nullopt for anything that is not a plausible host: empty, longer
// than 253 bytes, characters outside [a-z0-9.-_] (for names), empty labels
// ("a..b", ".a"), a non-numeric or out-of-range port, unbalanced brackets.
std::optional<std::string> normalize_host(std::string_view host);

// Splits "host:port" / "[v6]:port" into a normalised host and the port.
// The port is mandatory here (CONNECT targets); nullopt when malformed.
struct HostPort {
  std::string host;
  unsigned short port = 0;
};
std::optional<HostPort> split_host_port(std::string_view authority);

// An immutable set of host patterns, built once (at start and on reload) and
// shared between threads; lookups are lock-free and allocation-light: a hash
// lookup for exact entries, then one per wildcard suffix of the name.
class HostMatcher {
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Set = std::unordered_set<std::string, Hash, std::equal_to<>>;

 public:
  HostMatcher() = default;  // matches nothing

  // Fails (invalid_argument, naming the entry) on an entry that is not a
  // valid exact name/IP or "*." followed by a valid domain name whose last
  // label is not numeric ("*", "*.", "a.*.com", "*foo.com", "*.0.1" are
  // refused; "*.test" is accepted, as in iron-proxy).
  static util::Result<HostMatcher> create(const std::vector<std::string>& patterns);

  // `host` may be un-normalised; an invalid host never matches.
  [[nodiscard]] bool matches(std::string_view host) const;
  // Same, for a host that already went through normalize_host.
  [[nodiscard]] bool matches_normalized(std::string_view host) const;

  [[nodiscard]] bool empty() const { return exact_.empty() && suffixes_.empty(); }

 private:
  Set exact_;
  Set suffixes_;  // "example.com" for "*.example.com"
};

}  // namespace sr::proxy
