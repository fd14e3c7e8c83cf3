#include "util/host_port.hpp"

#include <charconv>

namespace sr::util {
namespace {

// At most 5 digits so that "000080" and sign or space prefixes never pass as 80.
std::optional<std::uint16_t> parse_port(std::string_view digits) {
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::unexpected<Error> bad_port(std::string_view digits) {
  return fail(ErrorKind::invalid_argument, "invalid port \"" + std::string(digits) + "\"");
}

}  // namespace

Result<HostPortText> split_host_port(std::string_view text, BareColons colons) {
  HostPortText out;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return fail(ErrorKind::invalid_argument, "unterminated IPv6 address");
    out.host = text.substr(1, close - 1);
    out.bracketed = true;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return fail(ErrorKind::invalid_argument, "unexpected \"" + std::string(rest) + "\" after the IPv6 address");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    auto first = text.find(':');
    auto last = text.rfind(':');
    if (first != last && colons == BareColons::refused)
      return fail(ErrorKind::invalid_argument, "too many colons (an IPv6 host needs [brackets])");
    if (first == std::string_view::npos || (first != last && colons == BareColons::ipv6_host)) {
      out.host = text;
    } else {
      out.host = text.substr(0, last);
      port_text = text.substr(last + 1);
      has_port = true;
    }
  }
  if (has_port) {
    out.port = parse_port(port_text);
    if (!out.port) return bad_port(port_text);
  }
  return out;
}

Result<HostPort> parse_host_port(std::string_view text, const HostPortRules& rules) {
  SR_ASSIGN(HostPortText parts, split_host_port(text, rules.colons));
  if (!parts.port && !rules.default_port) return fail(ErrorKind::invalid_argument, "expected host:port");
  std::uint16_t port = parts.port.value_or(rules.default_port.value_or(0));
  if (port == 0 && rules.port_zero == PortZero::refused) return bad_port("0");
  return HostPort{std::string(parts.host), port};
}

std::string bracket_host(std::string_view host) {
  if (host.find(':') == std::string_view::npos) return std::string(host);
  std::string out;
  out.reserve(host.size() + 2);
  out += '[';
  out += host;
  out += ']';
  return out;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::string format_host_port(std::string_view host, std::uint16_t port) {
  return bracket_host(host) + ":" + std::to_string(port);
}

}  // namespace sr::util
