#include "egress/validate.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sr::egress {

namespace {

auto invalid(std::string_view entry, const std::string& why) {
  return util::fail(util::ErrorKind::invalid_argument,
                    "'" + std::string(entry) + "' " + why);
}

bool valid_label(std::string_view l) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  return std::all_of(l.begin(), l.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

util::Result<std::string> normalize_allowed_host(std::string_view entry) {
  std::string h(entry);
  std::transform(h.begin(), h.end(), h.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (h.empty()) return invalid(entry, "is empty; expected a hostname like api.example.com");
  if (h.find("://") != std::string::npos)
    return invalid(entry, "has a scheme; expected a bare hostname like api.example.com");
  if (h.find_first_of(" \t\r\n") != std::string::npos)
    return invalid(entry, "contains whitespace; expected a bare hostname");
  if (h.find('/') != std::string::npos)
    return invalid(entry, "has a path; expected a bare hostname");
  if (h.find(':') != std::string::npos)
    return invalid(entry, "has a port; expected a bare hostname (ports are not filtered)");
  std::string_view rest = h;
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  if (rest.size() > 253) return invalid(entry, "is longer than 253 characters");
  size_t start = 0;
  while (true) {
    size_t dot = rest.find('.', start);
    auto label = rest.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_label(label))
      return invalid(entry, "is not a hostname or a '*.' wildcard (allowed: a-z 0-9 - and dots)");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return h;
}

util::Result<std::string> validate_cidr(std::string_view entry) {
  auto slash = entry.find('/');
  if (slash == std::string_view::npos)
    return invalid(entry, "is not a CIDR: a prefix length is required (e.g. 10.0.0.0/8)");
  std::string addr(entry.substr(0, slash));
  auto prefix_text = entry.substr(slash + 1);
  unsigned char buf[16];
  int max_prefix = 0;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) max_prefix = 32;
  else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) max_prefix = 128;
  else return invalid(entry, "is not a CIDR: '" + addr + "' is not an IP address");
  int prefix = -1;
  auto [p, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (ec != std::errc() || p != prefix_text.data() + prefix_text.size() || prefix < 0 ||
      prefix > max_prefix)
    return invalid(entry, "is not a CIDR: prefix length must be 0.." + std::to_string(max_prefix));
  return std::string(entry);
}

}  // namespace sr::egress
