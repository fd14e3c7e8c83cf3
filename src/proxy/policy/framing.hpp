// Request framing as the gate accepts it (RFC 9112 §6): at most one framing,
// stated once, in a form no two parsers can read differently.
//
//   - Transfer-Encoding: accepted only as exactly "chunked" (one field, one
//     member, any case); any other coding, a list, an empty value or a
//     repeated field -> 501. In an HTTP/1.0 request -> 400.
//   - Transfer-Encoding together with Content-Length -> 400.
//   - Content-Length: one field holding 1-19 digits; repeated (even with
//     equal values), a list, a sign, spaces inside, empty -> 400.
// Every refusal here closes the connection: the end of the body is unknown.
#pragma once

#include <optional>
#include <string_view>

#include "proxy/policy/request_head.hpp"

namespace sr::proxy::policy {

struct Framing {
  BodyPlan plan = BodyPlan::none;
  std::uint64_t length = 0;
};

std::expected<Framing, Refusal> check_framing(const RequestHead& head);

// Field names must be tokens, values free of CR, LF, NUL and other controls
// but HTAB (RFC 9110 §5.5); the method a token; the version 1.0 or 1.1.
std::optional<Refusal> check_syntax(const RequestHead& head);

// The raw bytes of one request head up to and including its empty line:
// refuses obs-fold (a field line starting with SP or HTAB, RFC 9112 §5.2),
// which parsers unfold differently (Beast joins the lines silently).
std::optional<Refusal> check_raw_head(std::string_view bytes);

// A refusal that ends the connection (malformed head or framing).
Refusal malformed(unsigned status, std::string_view why);

}  // namespace sr::proxy::policy
