#include "proxy/policy/authority.hpp"

#include "proxy/policy/framing.hpp"
#include "proxy/policy/host_match.hpp"
#include "proxy/policy/text.hpp"
#include "util/host_port.hpp"

namespace sr::proxy::policy {

namespace {

bool is_scheme(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '-' || c == '.'))
      return false;
  return true;
}

// RFC 9112 §3.2: the request-target has no fragment, no whitespace, no
// controls; bytes outside visible ASCII must be percent-encoded.
bool is_target_text(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#') return false;
  }
  return true;
}

std::uint16_t default_port(std::string_view scheme) {
  if (iequals(scheme, "http") || iequals(scheme, "ws")) return 80;
  if (iequals(scheme, "https") || iequals(scheme, "wss")) return 443;
  return 0;
}

std::expected<Authority, Refusal> parse_authority(std::string_view text, std::string_view scheme) {
  if (text.empty()) return std::unexpected(malformed(400, "the absolute-form target has no host"));
  if (text.find('@') != std::string_view::npos)
    return std::unexpected(malformed(400, "userinfo (user@) in the request-target"));
  Authority a;
  a.tls = default_port(scheme) == 443;
  std::size_t close = text.rfind(']');
  std::size_t colon = text.rfind(':');
  bool has_port = colon != std::string_view::npos &&
                  (close == std::string_view::npos ? text.find(':') == colon : colon > close);
  if (has_port) {
    auto hp = split_host_port(text);
    if (!hp || hp->port == 0) return std::unexpected(malformed(400, "bad host or port in the request-target"));
    a.host = std::move(hp->host);
    a.port = hp->port;
  } else {
    auto host = normalize_host(text);
    if (!host) return std::unexpected(malformed(400, "bad host in the request-target"));
    a.port = default_port(scheme);
    if (a.port == 0)
      return std::unexpected(malformed(400, "no port in a request-target whose scheme has no default"));
    a.host = std::move(*host);
  }
  return a;
}

}  // namespace

std::expected<ParsedTarget, Refusal> parse_target(std::string_view target, std::string_view method) {
  if (target.empty() || !is_target_text(target))
    return std::unexpected(malformed(400, "the request-target holds a byte outside visible ASCII or a '#'"));
  ParsedTarget out;
  if (target == "*") {
    if (method != "OPTIONS") return std::unexpected(malformed(400, "'*' is a target for OPTIONS only"));
    out.form = ParsedTarget::Form::asterisk;
    out.rest = target;
    return out;
  }
  if (target.front() == '/') {
    out.rest = target;
    return out;
  }
  std::size_t sep = target.find("://");
  if (sep == std::string_view::npos || !is_scheme(target.substr(0, sep)))
    return std::unexpected(malformed(400, "the request-target is neither origin-form nor absolute-form"));
  out.form = ParsedTarget::Form::absolute;
  out.scheme = target.substr(0, sep);
  std::string_view rest = target.substr(sep + 3);
  std::size_t end = rest.find_first_of("/?");
  auto authority = parse_authority(rest.substr(0, end), out.scheme);
  if (!authority) return std::unexpected(std::move(authority.error()));
  out.authority = std::move(*authority);
  out.rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  return out;
}

std::expected<Authority, Refusal> parse_host_authority(std::string_view value) {
  if (!is_target_text(value) || value.find_first_of("/?") != std::string_view::npos)
    return std::unexpected(malformed(400, "the Host field is not host[:port]"));
  return parse_authority(value, "http");
}

std::string origin_form(std::string_view rest) {
  if (rest.empty()) return "/";
  if (rest.front() == '?') return "/" + std::string(rest);
  return std::string(rest);
}

std::string host_field(const Authority& a) {
  std::string out = util::bracket_host(a.host);
  if (a.port != (a.tls ? 443 : 80)) {
    out += ':';
    out += std::to_string(a.port);
  }
  return out;
}

}  // namespace sr::proxy::policy
