#include "proxy/policy/cidr.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace sr::proxy {
namespace {

namespace ip = boost::asio::ip;

// The address as 16 bytes (IPv4 in the first 4) and its bit width.
struct Bits {
  std::array<unsigned char, 16> bytes{};
  unsigned width = 0;
};

Bits bits_of(const ip::address& a) {
  Bits b;
  if (a.is_v4()) {
    auto v4 = a.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), b.bytes.begin());
    b.width = 32;
  } else {
    b.bytes = a.to_v6().to_bytes();
    b.width = 128;
  }
  return b;
}

bool prefix_equal(const Bits& a, const Bits& net, unsigned prefix) {
  unsigned full = prefix / 8;
  for (unsigned i = 0; i < full; ++i)
    if (a.bytes[i] != net.bytes[i]) return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xFFu << (8 - rest));
  return (a.bytes[full] & mask) == (net.bytes[full] & mask);
}

ip::address clear_host_bits(const ip::address& a, unsigned prefix) {
  Bits b = bits_of(a);
  for (unsigned bit = prefix; bit < b.width; ++bit)
    b.bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
  if (a.is_v4()) return ip::address_v4({b.bytes[0], b.bytes[1], b.bytes[2], b.bytes[3]});
  return ip::address_v6(b.bytes);
}

bool contains_one(const Cidr& c, const ip::address& addr) {
  if (c.network.is_v4() != addr.is_v4()) return false;
  return prefix_equal(bits_of(addr), bits_of(c.network), c.prefix);
}

ip::address_v4 v4_at(const ip::address_v6::bytes_type& b, std::initializer_list<std::size_t> at) {
  ip::address_v4::bytes_type out{};
  std::size_t i = 0;
  for (std::size_t index : at) out[i++] = b[index];
  return ip::address_v4(out);
}

bool starts_with(const ip::address_v6::bytes_type& b, std::initializer_list<unsigned char> prefix) {
  return std::equal(prefix.begin(), prefix.end(), b.begin());
}

}  // namespace

std::vector<ip::address_v4> embedded_ipv4(const ip::address_v6& addr) {
  auto b = addr.to_bytes();
  // ::ffff:0:0/96 and ::/96: ten zero bytes, then ffff or 0000.
  bool ten_zero = std::all_of(b.begin(), b.begin() + 10, [](unsigned char c) { return c == 0; });
  if (ten_zero && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)))
    return {v4_at(b, {12, 13, 14, 15})};
  // 64:ff9b::/96.
  if (starts_with(b, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}))
    return {v4_at(b, {12, 13, 14, 15})};
  // 64:ff9b:1::/48 (RFC 8215) with each RFC 6052 §2.2 layout that fits:
  // bits 64-71 (the "u" octet) are zero and never part of the address, and
  // the suffix after the address is zero for the /48, /56 and /64 layouts.
  if (!starts_with(b, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}) || b[8] != 0) return {};
  auto zero_from = [&](std::size_t i) {
    return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(i), b.end(),
                       [](unsigned char c) { return c == 0; });
  };
  std::vector<ip::address_v4> out;
  if (zero_from(11)) out.push_back(v4_at(b, {6, 7, 9, 10}));
  if (zero_from(12)) out.push_back(v4_at(b, {7, 9, 10, 11}));
  if (zero_from(13)) out.push_back(v4_at(b, {9, 10, 11, 12}));
  out.push_back(v4_at(b, {12, 13, 14, 15}));
  return out;
}

bool is_unspecified(const ip::address& addr) {
  if (addr.is_unspecified()) return true;
  if (addr.is_v4()) return false;
  auto embedded = embedded_ipv4(addr.to_v6());
  return std::any_of(embedded.begin(), embedded.end(),
                     [](const ip::address_v4& v4) { return v4.is_unspecified(); });
}

std::string Cidr::to_string() const { return network.to_string() + "/" + std::to_string(prefix); }

util::Result<Cidr> parse_cidr(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return util::fail(util::ErrorKind::invalid_argument,
                      "invalid CIDR \"" + std::string(text) + "\": " + std::string(why));
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return bad("missing the /prefix length (a bare address is not accepted; use /32 or /128)");
  std::string_view addr_text = text.substr(0, slash);
  std::string_view prefix_text = text.substr(slash + 1);
  if (prefix_text.empty() || prefix_text.size() > 3 ||
      prefix_text.find_first_not_of("0123456789") != std::string_view::npos ||
      (prefix_text.size() > 1 && prefix_text.front() == '0'))
    return bad("the prefix length must be a decimal number");
  unsigned prefix = 0;
  std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  boost::system::error_code ec;
  auto addr = ip::make_address(std::string(addr_text), ec);
  if (ec) return bad("not an IPv4 or IPv6 address");
  if (addr.is_v6() && addr.to_v6().scope_id() != 0) return bad("zone ids are not accepted");
  unsigned width = addr.is_v4() ? 32 : 128;
  if (prefix > width) return bad("prefix length larger than " + std::to_string(width));
  return Cidr{clear_host_bits(addr, prefix), prefix};
}

util::Result<CidrSet> CidrSet::create(const std::vector<std::string>& cidrs) {
  CidrSet set;
  for (std::size_t i = 0; i < cidrs.size(); ++i) {
    auto c = parse_cidr(cidrs[i]);
    if (!c) return std::unexpected(std::move(c.error()).context("entry " + std::to_string(i)));
    set.entries_.push_back(*c);
  }
  return set;
}

std::optional<Cidr> CidrSet::find(const ip::address& addr) const {
  // The embedded IPv4 forms first, so the reason names the IPv4 range
  // ("127.0.0.0/8" rather than "::ffff:0:0/96") when both match.
  std::vector<ip::address_v4> embedded;
  if (addr.is_v6()) embedded = embedded_ipv4(addr.to_v6());
  for (const auto& c : entries_) {
    for (const auto& v4 : embedded)
      if (contains_one(c, v4)) return c;
    if (contains_one(c, addr)) return c;
  }
  return std::nullopt;
}

bool CidrSet::contains(const ip::address& addr) const { return find(addr).has_value(); }

}  // namespace sr::proxy
