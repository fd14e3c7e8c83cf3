// The request gate: every request the engine forwards, on either listener,
// inside a tunnel (plain or TLS) and for a WebSocket upgrade, is put here in
// one canonical form before any secret is touched, or refused. The engine
// writes upstream exactly the head the gate returns (docs/security-model.md,
// "Canonical requests").
//
// check_request, in this order (the first failing check answers):
//   1. syntax: HTTP/1.0 or 1.1 (else 505), method a token, field names tokens,
//      values without controls (400); CONNECT is not a request here (405).
//   2. framing (framing.hpp): Transfer-Encoding only as exactly "chunked"
//      (501), never with Content-Length, one well-formed Content-Length (400).
//   3. one authority (authority.hpp): forward listener: absolute-form http://
//      only (400); tunnels: origin-form, or absolute-form of any scheme whose
//      authority equals the tunnel's (else 403), rewritten to origin-form.
//   4. Host: more than one field 400; none in HTTP/1.1 400 (HTTP/1.0: added);
//      one that does not name the effective host after normalisation 403.
//   5. the allowlist, then the client sandbox's narrowing when it has one
//      (403, proxy/policy/narrowing.hpp); Expect other than "100-continue" (417).
//   6. the canonical head: Host first, then the client's fields minus the
//      hop-by-hop ones (and those Connection names), the framing fields, Expect,
//      Proxy-Authorization, Upgrade unless a WebSocket upgrade, and towards a
//      host with secrets mapped the routing overrides (routing_overrides())
//      plus Accept-Encoding (set to identity) and Sec-WebSocket-Extensions;
//      then the engine's own framing field.
//   7. secrets (SecretSet::apply on the canonical head): wrong-host token or
//      require 403; a declared body over max_request_body_bytes 413.
//   8. no cleartext: a request that got a real value on a leg that is not
//      verified TLS is refused 403 (use https), and nothing of it is sent.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "proxy/policy/authority.hpp"
#include "proxy/policy/framing.hpp"
#include "proxy/policy/request_head.hpp"
#include "proxy/policy/rules.hpp"
#include "proxy/policy/text.hpp"

namespace sr::proxy::policy {

Verdict check_request(const RequestHead& head, const ConnContext& ctx, const Rules& rules);

// BodyPlan::whole: the body has been read whole (within
// max_request_body_bytes). Runs step 7 and 8 over head and body (the body
// swap) and sets Content-Length to the final size.
std::optional<Refusal> complete_body(CanonicalRequest& req, const ConnContext& ctx, const Rules& rules,
                                     std::string& body);

// The fields removed towards a host with secrets mapped: they let a front
// end route, re-target or re-method a request away from what the gate checked.
std::span<const std::string_view> routing_overrides();

// The response side. `body_follows`: the parser expects a body (not HEAD, not
// 1xx/204/304, not done). Refuses (502): 101 without an upgrade request; for a
// guarded host, a body under a content or transfer coding the scrubber cannot
// read (judged over every Content-Encoding and Transfer-Encoding field and
// every member of each), and a WebSocket accepted with an extension.
std::expected<ResponsePlan, Refusal> check_response(const ResponseHead& res, const CanonicalRequest& req,
                                                    bool body_follows);

// Response fields that are not passed to the client (hop-by-hop; the
// engine re-frames the body).
bool is_response_hop_field(std::string_view name, bool upgraded);

}  // namespace sr::proxy::policy
