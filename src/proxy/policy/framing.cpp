#include "proxy/policy/framing.hpp"

#include "proxy/policy/text.hpp"

namespace sr::proxy::policy {

Refusal malformed(unsigned status, std::string_view why) {
  std::string reason = "malformed request: " + std::string(why);
  return Refusal{status, Decision::reject, reason, "sandbox-egress: " + reason + "\n", true, {}};
}

namespace {

bool is_digits(std::string_view s) {
  if (s.empty() || s.size() > 19) return false;  // 19 digits always fit in uint64
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// RFC 9110 §5.5: field-value bytes are VCHAR, obs-text, SP and HTAB.
bool is_field_value(std::string_view v) {
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::optional<Refusal> check_syntax(const RequestHead& head) {
  if (head.version != 10 && head.version != 11) {
    Refusal r = malformed(505, "only HTTP/1.0 and HTTP/1.1 are served");
    return r;
  }
  if (!is_token(head.method)) return malformed(400, "the method is not a token");
  for (const auto& f : head.fields) {
    if (!is_token(f.name)) return malformed(400, "a field name is not a token");
    if (!is_field_value(f.value)) return malformed(400, "a field value holds a control character");
  }
  return std::nullopt;
}

std::expected<Framing, Refusal> check_framing(const RequestHead& head) {
  const Field* te = nullptr;
  const Field* cl = nullptr;
  for (const auto& f : head.fields) {
    if (iequals(f.name, "transfer-encoding")) {
      if (te)
        return std::unexpected(malformed(501, "Transfer-Encoding is accepted only once, as exactly \"chunked\""));
      te = &f;
    } else if (iequals(f.name, "content-length")) {
      if (cl) return std::unexpected(malformed(400, "Content-Length appears more than once"));
      cl = &f;
    }
  }
  if (te) {
    if (!iequals(trim_ows(te->value), "chunked"))
      return std::unexpected(malformed(501, "Transfer-Encoding is accepted only as exactly \"chunked\""));
    if (head.version == 10)
      return std::unexpected(malformed(400, "Transfer-Encoding in an HTTP/1.0 request"));
    if (cl) return std::unexpected(malformed(400, "both Content-Length and Transfer-Encoding"));
    return Framing{BodyPlan::chunked, 0};
  }
  if (cl) {
    std::string_view v = trim_ows(cl->value);
    if (!is_digits(v)) return std::unexpected(malformed(400, "Content-Length is not a decimal length"));
    std::uint64_t n = 0;
    for (char c : v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    return Framing{BodyPlan::length, n};
  }
  return Framing{};
}

std::optional<Refusal> check_raw_head(std::string_view bytes) {
  // Field lines start after the request line; the head ends with an empty line.
  std::size_t at = bytes.find('\n');
  while (at != std::string_view::npos && at + 1 < bytes.size()) {
    char first = bytes[at + 1];
    if (first == ' ' || first == '\t')
      return malformed(400, "obsolete line folding (a field line starting with whitespace)");
    if (first == '\r' || first == '\n') break;  // the empty line
    at = bytes.find('\n', at + 1);
  }
  return std::nullopt;
}

}  // namespace sr::proxy::policy
