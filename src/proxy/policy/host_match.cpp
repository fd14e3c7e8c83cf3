#include "proxy/policy/host_match.hpp"

#include <boost/asio/ip/address.hpp>

#include "util/host_port.hpp"

namespace sr::proxy {
namespace {

constexpr std::size_t kMaxHostLength = 253;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
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

// Unbracketed text with several colons is a bare IPv6 host: a port after an
// IPv6 host needs brackets (RFC 3986 §3.2.2).
std::optional<std::string> normalize_host(std::string_view host) {
  auto parts = util::split_host_port(host, util::BareColons::ipv6_host);
  if (!parts) return std::nullopt;
  return normalize_bare(parts->host, parts->bracketed);
}

std::optional<HostPort> split_host_port(std::string_view authority) {
  auto parts = util::split_host_port(authority, util::BareColons::ipv6_host);
  if (!parts || !parts->port) return std::nullopt;
  auto host = normalize_bare(parts->host, parts->bracketed);
  if (!host) return std::nullopt;
  return HostPort{std::move(*host), *parts->port};
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
