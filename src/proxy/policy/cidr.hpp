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

// The IPv4 addresses an IPv6 address stands for, where it embeds one:
// IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d (deprecated, RFC
// 4291 §2.5.5.1), NAT64 well-known 64:ff9b::a.b.c.d (RFC 6052 §2.1: a /96,
// the address in the last 32 bits) and NAT64 local-use 64:ff9b:1::/48 (RFC
// 8215). The local-use prefix is the operator's to lay out: any of the
// /48, /56, /64 and /96 layouts of RFC 6052 §2.2 fits inside it and nothing
// in the address says which is used, so each layout the address is valid
// for (zero "u" octet, zero suffix) gives a candidate; the address is
// judged by all of them.
// Empty for IPv4 and for other IPv6 addresses.
std::vector<boost::asio::ip::address_v4> embedded_ipv4(const boost::asio::ip::address_v6& addr);

// The unspecified address in any form (0.0.0.0, ::, or one of them embedded
// as above): connecting to it reaches this host on Linux, so it is never
// dialled, whatever the deny list says.
bool is_unspecified(const boost::asio::ip::address& addr);

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

  // An IPv6 address that embeds an IPv4 one (embedded_ipv4()) is checked as
  // each of its IPv4 addresses and as itself: "127.0.0.0/8" catches
  // ::ffff:127.0.0.1 and 64:ff9b::7f00:1, and "::ffff:0:0/96" still catches
  // every mapped address.
  [[nodiscard]] bool contains(const boost::asio::ip::address& addr) const;
  // The first entry that contains `addr`, for the refusal reason.
  [[nodiscard]] std::optional<Cidr> find(const boost::asio::ip::address& addr) const;

  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] const std::vector<Cidr>& entries() const { return entries_; }

 private:
  std::vector<Cidr> entries_;
};

}  // namespace sr::proxy
