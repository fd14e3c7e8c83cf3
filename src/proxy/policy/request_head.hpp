// What the request gate sees and says: a request head as a codec parsed it
// (views, no parser type), the connection it arrived on, and the verdict:
// a refusal, or the one canonical request the engine sends upstream.
//
// The gate is plain code with no I/O (gate.hpp), so the same decision serves
// both listeners, tunnels, WebSocket upgrades and any later codec, and unit
// tests and fuzzers drive it without sockets.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/policy/decision.hpp"

namespace sr::proxy {
struct Narrowing;  // proxy/policy/narrowing.hpp
}

namespace sr::proxy::policy {

// One header field as received: name as sent, value without the optional
// whitespace around it. Views into the codec's parsed head.
struct Field {
  std::string_view name;
  std::string_view value;
};

// A request head as received; the views stay valid for the gate call only.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  unsigned version = 11;      // major * 10 + minor
  std::vector<Field> fields;  // in arrival order, repeated names kept apart
};

// Which listener the request arrived on. transparent_tls is a TLS listener
// that takes its authority from the SNI; it is gated like tunnel_tls.
enum class Listener { forward, tunnel_plain, tunnel_tls, transparent_tls };

// Whether the upstream leg is TLS with a certificate verified for the
// effective host (chain and host name). Real values travel only on such a leg.
enum class UpstreamLeg { plain, tls_verified };

struct Authority {
  std::string host;  // normalize_host form: lower case, no brackets, no trailing dot
  std::uint16_t port = 443;
  bool tls = true;

  friend bool operator==(const Authority&, const Authority&) = default;
};

struct ConnContext {
  Listener listener = Listener::forward;
  Authority tunnel;  // tunnel and transparent listeners: the CONNECT target or SNI + port
  UpstreamLeg leg = UpstreamLeg::plain;
  // The client sandbox's narrowing (Rules::narrowings), nullptr when none:
  // a host must then match it as well as the allowlist.
  const Narrowing* narrowing = nullptr;
};

// A refusal: the status and body the client gets, the audit decision and
// reason. `close`: the request's framing cannot be trusted, so the connection
// ends after the answer (nothing after this head is read as a request).
struct Refusal {
  unsigned status = 403;
  Decision decision = Decision::reject;
  std::string reason;
  std::string body;
  bool close = false;
  std::string host;  // the effective host when it was known (for the audit record)
};

// How the engine frames the request body upstream. The client's framing
// fields are never forwarded: the head carries the engine's own.
enum class BodyPlan {
  none,     // no body; no framing field
  length,   // exactly `length` bytes, "Content-Length: length"
  chunked,  // the decoded body re-chunked, "Transfer-Encoding: chunked"
  whole,    // read whole (bounded) for a body swap, then complete_body()
};

// The head written upstream: Beast's plain header container (no parser).
using UpstreamHead = boost::beast::http::request_header<boost::beast::http::fields>;

struct CanonicalRequest {
  Authority target;    // the effective authority: the only one the request names
  UpstreamHead head;   // method, origin-form target, HTTP/1.1, the exact fields to send
  BodyPlan body = BodyPlan::none;
  std::uint64_t length = 0;       // BodyPlan::length
  bool expect_continue = false;   // the client waits for "100 Continue" before its body
  bool upgrade = false;           // a WebSocket upgrade (the only one passed through)
  bool guarded = false;           // secrets are mapped to the host: responses are scrubbed
  bool swap_frames = false;       // WebSocket frames may get real values (verified TLS leg)
  std::vector<std::string> swapped;  // env var names whose real values are in the request
};

using Verdict = std::expected<CanonicalRequest, Refusal>;

// A response head as received (views, valid for the call).
struct ResponseHead {
  unsigned status = 200;
  std::vector<Field> fields;
};

struct ResponsePlan {
  bool upgraded = false;  // 101 to a WebSocket upgrade: the connection becomes a splice
};

}  // namespace sr::proxy::policy
