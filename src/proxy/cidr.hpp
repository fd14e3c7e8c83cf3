// Upstream deny CIDRs: the addresses the engine refuses to dial, checked on
// every resolved address (after DNS, so rebinding cannot dodge it).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sr::proxy {

struct Cidr {
  boost::asio::ip::address network;  // host bits cleared
  unsigned prefix = 0;               // 0..32 (v4) or 0..128 (v6)
  [[nodiscard]] std::string to_string() const;  // "10.0.0.0/8"
};

// Parses "a.b.c.d/n" or "v6/n". A bare address (no "/n") is an error, like
// iron-proxy v0.39; so are a prefix out of range, leading zeros/sign in the
// prefix, or whitespace. Host bits set in the address are cleared
// ("10.1.2.3/8" is 10.0.0.0/8).
util::Result<Cidr> parse_cidr(std::string_view text);

// An immutable list of CIDRs. Thread-safe for concurrent lookups.
class CidrSet {
 public:
  CidrSet() = default;  // contains nothing (`upstream_deny_cidrs: []`)

  // Fails on the first invalid entry, naming it and its index.
  static util::Result<CidrSet> create(const std::vector<std::string>& cidrs);

  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is unmapped first and then
  // checked against both the IPv4 entries and the IPv6 entries (so
  // "::ffff:0:0/96" still catches every mapped address).
  [[nodiscard]] bool contains(const boost::asio::ip::address& addr) const;
  // The first entry that contains `addr`, for the refusal reason.
  [[nodiscard]] std::optional<Cidr> find(const boost::asio::ip::address& addr) const;

  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] const std::vector<Cidr>& entries() const { return entries_; }

 private:
  std::vector<Cidr> entries_;
};

}  // namespace sr::proxy
