// The request gate on arbitrary client bytes (gate_harness.hpp). Invariants:
//  - fixed point: the head the gate forwards, parsed again and gated again in
//    a tunnel to the effective authority, comes out byte for byte the same
//    (when no real value was swapped in: those are not tokens any more);
//  - a real value is in what goes upstream only when the gate swapped it in,
//    on a verified TLS leg, towards a host of that secret's rules;
//  - nothing outside the canonical grammar goes upstream: one Host (the
//    effective authority), origin-form or '*', HTTP/1.1, no hop-by-hop or
//    client framing fields, the engine's own framing per the body plan.
#include <cstdint>
#include <cstdlib>
#include <cstdio>

#include "gate_harness.hpp"

namespace {

using namespace gate_harness;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_gate: invariant broken: %s\n", what);
    std::abort();
  }
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

std::size_t count(const UpstreamHead& h, std::string_view name) {
  std::size_t n = 0;
  for (const auto& f : h)
    if (iequals({f.name_string().data(), f.name_string().size()}, name)) ++n;
  return n;
}

void check_grammar(const Result& r) {
  const auto& req = *r.request;
  const auto& h = req.head;
  std::string_view target(h.target().data(), h.target().size());
  check(h.version() == 11, "version 1.1");
  check(!target.empty() && (target.front() == '/' || target == "*"), "origin-form target");
  check(count(h, "host") == 1, "one Host");
  check(h[http::field::host] == host_field(req.target), "Host is the effective authority");
  for (auto name : {"expect", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer"})
    check(count(h, name) == 0, "no hop-by-hop field");
  check(count(h, "connection") == (req.upgrade ? 1u : 0u), "Connection only for an upgrade");
  check(count(h, "upgrade") == (req.upgrade ? 1u : 0u), "Upgrade only for an upgrade");
  std::size_t te = count(h, "transfer-encoding"), cl = count(h, "content-length");
  switch (req.body) {
    case BodyPlan::none: check(te == 0 && cl == 0, "no framing field without a body"); break;
    case BodyPlan::chunked: check(te == 1 && cl == 0 && h[http::field::transfer_encoding] == "chunked", "chunked"); break;
    case BodyPlan::length:
    case BodyPlan::whole:
      check(te == 0 && cl == 1 && h[http::field::content_length] == std::to_string(r.body.size()), "length");
      break;
  }
  if (req.guarded)
    for (auto name : routing_overrides()) check(count(h, name) == 0, "no routing override towards a guarded host");
  check(!contains(r.head, "\r\n ") && !contains(r.head, "\r\n\t"), "no folded line");
}

void check_secrets(std::string_view input, const Result& r) {
  const auto& req = *r.request;
  for (const auto& name : req.swapped) {
    check(r.ctx.leg == UpstreamLeg::tls_verified, "a swap only on a verified TLS leg");
    check(name == "OPENAI_API_KEY" ? req.target.host == "api.openai.com" : req.target.host == "api.anthropic.com",
          "a swap only towards the secret's host");
  }
  auto swapped = [&](std::string_view n) {
    for (const auto& s : req.swapped)
      if (s == n) return true;
    return false;
  };
  if (!contains(input, kValA)) check(!contains(r.wire, kValA) || swapped("OPENAI_API_KEY"), "value A unswapped");
  if (!contains(input, kValB)) check(!contains(r.wire, kValB) || swapped("ANTHROPIC_API_KEY"), "value B unswapped");
}

void check_fixed_point(const Result& r) {
  const auto& req = *r.request;
  if (!req.swapped.empty()) return;
  ConnContext again = r.ctx;
  if (again.listener == Listener::forward) again = ConnContext{Listener::tunnel_plain, req.target, UpstreamLeg::plain};
  http::request_parser<http::string_body> parser;
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(r.head.data(), r.head.size()), ec);
  check(!ec && parser.is_header_done(), "the forwarded head parses");
  auto second = check_request(view_of(parser.get()), again, rules());
  check(second.has_value(), "the forwarded head passes the gate again");
  if (second->body == BodyPlan::whole) return;  // Content-Length is set after the body
  check(serialize(second->head) == r.head, "the canonical head is a fixed point");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Result r = run(input);
  if (r.stage != Stage::forwarded) return 0;
  check_grammar(r);
  check_secrets(input, r);
  check_fixed_point(r);
  return 0;
}
