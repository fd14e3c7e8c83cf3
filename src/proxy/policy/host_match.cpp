#include "proxy/policy/host_match.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace sr::proxy {
namespace {

constexpr std::size_t kMaxHostLength = 253;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool valid_port(std::string_view digits, unsigned short* port) {
  if (digits.empty() || digits.size() > 5) return false;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || value > 65535) return false;
  if (port) *port = static_cast<unsigned short>(value);
  return true;
}

// A DNS-ish name: labels of [a-z0-9_-], no empty label. Underscores occur in
// real service names, so they are accepted; everything else is refused so
// that a smuggled '/', '@', '%', NUL or space never reaches a match.
bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostLength) return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label != 0;
}

// True when the last label is all digits: an IPv4 literal or junk, never a
// real domain (no TLD is numeric), so wildcards must not apply to it.
bool numeric_tld(std::string_view name) {
  auto dot = name.rfind('.');
  std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return !last.empty() && last.find_first_not_of("0123456789") == std::string_view::npos;
}

// Canonical text of an IP literal, or nullopt when `s` is not one.
std::optional<std::string> canonical_ip(std::string_view s) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(s), ec);
  if (ec) return std::nullopt;
  if (addr.is_v6() && addr.to_v6().scope_id() != 0) return std::nullopt;  // no zone ids
  return addr.to_string();
}

// Splits host text from an optional port. Sets *port_seen when a port was present.
std::optional<std::string_view> strip_port(std::string_view s, unsigned short* port, bool* port_seen) {
  *port_seen = false;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = s.substr(close + 1);
    std::string_view inner = s.substr(1, close - 1);
    if (rest.empty()) return inner;
    if (rest.front() != ':' || !valid_port(rest.substr(1), port)) return std::nullopt;
    *port_seen = true;
    return inner;
  }
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return s;
  if (s.find(':', colon + 1) != std::string_view::npos) return s;  // bare IPv6
  if (!valid_port(s.substr(colon + 1), port)) return std::nullopt;
  *port_seen = true;
  return s.substr(0, colon);
}

std::optional<std::string> normalize_bare(std::string_view host, bool bracketed) {
  if (host.empty() || host.size() > kMaxHostLength + 1) return std::nullopt;
  if (auto ip = canonical_ip(host)) return ip;
  if (bracketed) return std::nullopt;  // brackets only ever hold IPv6
  if (host.back() == '.') host.remove_suffix(1);
  std::string name = to_lower(host);
  if (!valid_name(name)) return std::nullopt;
  return name;
}

}  // namespace

std::optional<std::string> normalize_host(std::string_view host) {
  unsigned short port = 0;
  bool port_seen = false;
  bool bracketed = !host.empty() && host.front() == '[';
  auto bare = strip_port(host, &port, &port_seen);
  if (!bare) return std::nullopt;
  return normalize_bare(*bare, bracketed);
}

std::optional<HostPort> split_host_port(std::string_view authority) {
  HostPort out;
  bool port_seen = false;
  bool bracketed = !authority.empty() && authority.front() == '[';
  auto bare = strip_port(authority, &out.port, &port_seen);
  if (!bare || !port_seen) return std::nullopt;
  auto host = normalize_bare(*bare, bracketed);
  if (!host) return std::nullopt;
  out.host = std::move(*host);
  return out;
}

util::Result<HostMatcher> HostMatcher::create(const std::vector<std::string>& patterns) {
  HostMatcher m;
  for (const auto& pattern : patterns) {
    std::string_view p = pattern;
    if (p.starts_with("*.")) {
      std::string_view rest = p.substr(2);
      if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
      std::string suffix = to_lower(rest);
      // Never an IP-like suffix: "*.0.1" would match addresses, not names.
      if (!valid_name(suffix) || numeric_tld(suffix))
        return util::fail(util::ErrorKind::invalid_argument,
                          "invalid wildcard host pattern \"" + pattern +
                              "\": expected \"*.\" followed by a domain name");
      m.suffixes_.insert(std::move(suffix));
      continue;
    }
    auto host = p.find('*') == std::string_view::npos ? normalize_host(p) : std::nullopt;
    if (!host)
      return util::fail(util::ErrorKind::invalid_argument,
                        "invalid host pattern \"" + pattern +
                            "\": expected a host name, an IP address or \"*.domain\"");
    m.exact_.insert(std::move(*host));
  }
  return m;
}

bool HostMatcher::matches(std::string_view host) const {
  auto normalized = normalize_host(host);
  return normalized && matches_normalized(*normalized);
}

bool HostMatcher::matches_normalized(std::string_view host) const {
  if (host.empty()) return false;
  if (exact_.contains(host)) return true;
  if (suffixes_.empty() || host.find(':') != std::string_view::npos || numeric_tld(host))
    return false;
  // Try each proper parent domain: "a.b.example.com" -> "b.example.com", ...
  // The apex itself is never tried (see the header).
  for (auto dot = host.find('.'); dot != std::string_view::npos; dot = host.find('.', dot + 1)) {
    if (suffixes_.contains(host.substr(dot + 1))) return true;
  }
  return false;
}

}  // namespace sr::proxy
