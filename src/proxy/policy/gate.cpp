#include "proxy/policy/gate.hpp"

#include <array>

#include "proxy/policy/authority.hpp"
#include "proxy/policy/framing.hpp"
#include "proxy/policy/host_match.hpp"
#include "proxy/policy/narrowing.hpp"
#include "proxy/policy/text.hpp"

namespace sr::proxy::policy {

namespace {

namespace http = boost::beast::http;

constexpr std::array<std::string_view, 19> kRoutingOverrides{
    "forwarded",          "x-forwarded-host",   "x-forwarded-for",   "x-forwarded-proto",
    "x-forwarded-port",   "x-forwarded-prefix", "x-forwarded-server", "x-forwarded-scheme",
    "x-original-url",     "x-original-uri",     "x-original-host",   "x-rewrite-url",
    "x-host",             "x-http-method-override", "x-http-method", "x-method-override",
    "x-real-ip",          "x-client-ip",        "true-client-ip"};

// RFC 9110 §7.6.1, plus what the engine itself consumes or replaces.
constexpr std::array<std::string_view, 13> kDropped{
    "host",       "content-length",      "transfer-encoding", "expect",  "connection",
    "keep-alive", "proxy-connection",    "proxy-authorization", "proxy-authenticate",
    "te",         "trailer",             "upgrade",           "http2-settings"};

bool is_one_of(std::string_view name, std::span<const std::string_view> names) {
  for (auto n : names)
    if (iequals(name, n)) return true;
  return false;
}

Refusal refuse(unsigned status, std::string reason, std::string body, std::string host = {}) {
  return Refusal{status, Decision::reject, std::move(reason), "sandbox-egress: " + body + "\n", false,
                 std::move(host)};
}

// Step 3: the effective authority and the origin-form target.
std::expected<std::pair<Authority, std::string>, Refusal> effective_target(const RequestHead& head,
                                                                          const ConnContext& ctx) {
  auto parsed = parse_target(head.target, head.method);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  if (ctx.listener == Listener::forward) {
    // Origin-form on the forward listener: a port-80 connection the host's
    // interception redirected here. Its authority is its (only) Host field;
    // step 4 then holds trivially and still refuses a second Host.
    if (parsed->form == ParsedTarget::Form::origin) {
      const Field* host = nullptr;
      for (const auto& f : head.fields)
        if (iequals(f.name, "host")) {
          if (host) return std::unexpected(malformed(400, "more than one Host field"));
          host = &f;
        }
      if (host) {
        auto a = parse_host_authority(trim_ows(host->value));
        if (!a) return std::unexpected(std::move(a.error()));
        a->tls = false;
        return std::pair{std::move(*a), std::string(parsed->rest)};
      }
    }
    if (parsed->form != ParsedTarget::Form::absolute || !iequals(parsed->scheme, "http")) {
      Refusal r = malformed(400, "not an absolute-form http:// request");
      r.body = "sandbox-egress: this is a proxy: send absolute-form http:// URIs, or CONNECT for https\n";
      return std::unexpected(std::move(r));
    }
    Authority a = std::move(parsed->authority);
    a.tls = false;
    return std::pair{std::move(a), origin_form(parsed->rest)};
  }
  if (parsed->form == ParsedTarget::Form::absolute &&
      (parsed->authority.host != ctx.tunnel.host || parsed->authority.port != ctx.tunnel.port)) {
    return std::unexpected(refuse(403, "absolute-form target names another authority than the tunnel",
                                  "the request-target names another authority than " + ctx.tunnel.host +
                                      ":" + std::to_string(ctx.tunnel.port) + ", the target of this tunnel",
                                  ctx.tunnel.host));
  }
  if (parsed->form == ParsedTarget::Form::asterisk) return std::pair{ctx.tunnel, std::string("*")};
  return std::pair{ctx.tunnel, origin_form(parsed->rest)};
}

// Step 4: the Host fields against the effective host.
std::optional<Refusal> check_host(const RequestHead& head, const Authority& target) {
  const Field* host = nullptr;
  for (const auto& f : head.fields) {
    if (!iequals(f.name, "host")) continue;
    if (host) return malformed(400, "more than one Host field");
    host = &f;
  }
  if (!host) {
    if (head.version == 11) return malformed(400, "an HTTP/1.1 request without a Host field");
    return std::nullopt;
  }
  auto name = normalize_host(host->value);
  if (!name) return malformed(400, "the Host field is not a host name");
  if (*name != target.host)
    return refuse(403, "Host header does not name the request's host",
                  "the Host header does not name " + target.host + ", the host this request goes to",
                  target.host);
  return std::nullopt;
}

std::optional<Refusal> check_expect(const RequestHead& head, bool& continue_wanted) {
  for (const auto& f : head.fields) {
    if (!iequals(f.name, "expect")) continue;
    if (!iequals(trim_ows(f.value), "100-continue"))
      return refuse(417, "an expectation other than 100-continue",
                    "only \"Expect: 100-continue\" is understood");
    continue_wanted = true;
  }
  return std::nullopt;
}

bool named_by_connection(const RequestHead& head, std::string_view name) {
  for (const auto& f : head.fields)
    if (iequals(f.name, "connection") && lists_member(f.value, name)) return true;
  return false;
}

bool wants_websocket(const RequestHead& head, const Framing& framing) {
  if (head.version != 11 || head.method != "GET" || framing.plan != BodyPlan::none) return false;
  bool upgrade = false;
  for (const auto& f : head.fields)
    if (iequals(f.name, "upgrade") && lists_member(f.value, "websocket")) upgrade = true;
  return upgrade && named_by_connection(head, "upgrade");
}

// Step 6.
void build_head(CanonicalRequest& out, const RequestHead& head, std::string origin) {
  auto& h = out.head;
  h.method_string(boost::beast::string_view(head.method.data(), head.method.size()));
  h.target(origin);
  h.version(11);
  h.insert(http::field::host, host_field(out.target));
  bool has_connection = false;
  for (const auto& f : head.fields) has_connection = has_connection || iequals(f.name, "connection");
  for (const auto& f : head.fields) {
    if (is_one_of(f.name, kDropped)) continue;
    if (out.guarded && (is_one_of(f.name, kRoutingOverrides) || iequals(f.name, "accept-encoding") ||
                        iequals(f.name, "sec-websocket-extensions")))
      continue;
    if (has_connection && named_by_connection(head, f.name)) continue;
    h.insert(boost::beast::string_view(f.name.data(), f.name.size()),
             boost::beast::string_view(f.value.data(), f.value.size()));
  }
  // Identity is asked for where a response may echo a real value, so that
  // the scrubber can read it.
  if (out.guarded) h.insert(http::field::accept_encoding, "identity");
  if (out.upgrade) {
    h.insert(http::field::connection, "Upgrade");
    h.insert(http::field::upgrade, "websocket");
  }
  if (out.body == BodyPlan::length) h.insert(http::field::content_length, std::to_string(out.length));
  if (out.body == BodyPlan::chunked) h.insert(http::field::transfer_encoding, "chunked");
}

// Steps 7 and 8 over the canonical head (and the body when read whole).
std::optional<Refusal> swap_secrets(CanonicalRequest& out, const ConnContext& ctx, const Rules& rules,
                                    std::string* body) {
  auto swap = rules.secrets.apply(out.head, out.target.host, body);
  if (swap.decision != Decision::allow)
    return refuse(403, swap.reason, "refused: " + swap.reason, out.target.host);
  if (!swap.swapped.empty() && ctx.leg != UpstreamLeg::tls_verified) {
    std::string why = "request to " + out.target.host + " would carry the real value of " +
                      swap.swapped.front() + " over plain HTTP; use https";
    return refuse(403, why,
                  "refused: " + why + " (CONNECT with TLS, e.g. https:// URLs): real keys travel only "
                  "over TLS with a verified certificate",
                  out.target.host);
  }
  out.swapped = std::move(swap.swapped);
  return std::nullopt;
}

}  // namespace

std::span<const std::string_view> routing_overrides() { return kRoutingOverrides; }

Verdict check_request(const RequestHead& head, const ConnContext& ctx, const Rules& rules) {
  if (auto r = check_syntax(head)) return std::unexpected(std::move(*r));
  if (iequals(head.method, "CONNECT")) {
    Refusal r = malformed(405, "CONNECT inside a tunnel");
    return std::unexpected(std::move(r));
  }
  auto framing = check_framing(head);
  if (!framing) return std::unexpected(std::move(framing.error()));
  auto target = effective_target(head, ctx);
  if (!target) return std::unexpected(std::move(target.error()));
  CanonicalRequest out;
  out.target = std::move(target->first);
  if (auto r = check_host(head, out.target)) {
    r->host = out.target.host;
    return std::unexpected(std::move(*r));
  }
  if (!rules.allowlist.matches_normalized(out.target.host))
    return std::unexpected(refuse(403, "host not on the allowlist",
                                  "host " + out.target.host + " is not on the allowlist", out.target.host));
  // After the allowlist, so a narrowing can only take hosts away.
  if (ctx.narrowing && !ctx.narrowing->hosts.matches_normalized(out.target.host))
    return std::unexpected(refuse(403, "host outside the sandbox's narrowing (" + ctx.narrowing->label + ")",
                                  narrowing_refusal(*ctx.narrowing, out.target.host), out.target.host));
  bool continue_wanted = false;
  if (auto r = check_expect(head, continue_wanted)) {
    r->host = out.target.host;
    return std::unexpected(std::move(*r));
  }
  out.body = framing->plan;
  out.length = framing->length;
  out.expect_continue = continue_wanted && out.body != BodyPlan::none && !(out.body == BodyPlan::length && out.length == 0);
  out.upgrade = wants_websocket(head, *framing);
  out.guarded = rules.secrets.maps_host(out.target.host);
  out.swap_frames = out.upgrade && ctx.leg == UpstreamLeg::tls_verified;
  bool has_body = out.body == BodyPlan::chunked || (out.body == BodyPlan::length && out.length > 0);
  if (has_body && rules.secrets.wants_body(out.target.host)) {
    // A declared length over the limit is refused before any body byte is read.
    if (out.body == BodyPlan::length && out.length > rules.config.max_request_body_bytes)
      return std::unexpected(refuse(413, "request body over max_request_body_bytes",
                                    "request body larger than max_request_body_bytes", out.target.host));
    out.body = BodyPlan::whole;
  }
  build_head(out, head, std::move(target->second));
  if (out.body == BodyPlan::whole) return out;
  if (auto r = swap_secrets(out, ctx, rules, nullptr)) return std::unexpected(std::move(*r));
  return out;
}

std::optional<Refusal> complete_body(CanonicalRequest& req, const ConnContext& ctx, const Rules& rules,
                                     std::string& body) {
  if (auto r = swap_secrets(req, ctx, rules, &body)) return r;
  req.head.set(http::field::content_length, std::to_string(body.size()));
  req.length = body.size();
  return std::nullopt;
}

// RFC 9110 §7.6.1; the body is re-framed by the engine.
bool is_response_hop_field(std::string_view name, bool upgraded) {
  if (iequals(name, "connection") || iequals(name, "upgrade")) return !upgraded;
  return iequals(name, "keep-alive") || iequals(name, "proxy-connection") ||
         iequals(name, "proxy-authenticate") || iequals(name, "te") || iequals(name, "trailer") ||
         iequals(name, "transfer-encoding");
}

namespace {

// The first coding the scrubber cannot see through, over every field and
// every member ("" when there is none).
std::string opaque_coding(const ResponseHead& res) {
  std::string found;
  for (const auto& f : res.fields) {
    bool ce = iequals(f.name, "content-encoding");
    if (!ce && !iequals(f.name, "transfer-encoding")) continue;
    for_each_member(f.value, [&](std::string_view coding) {
      if (!found.empty() || iequals(coding, "identity") || (!ce && iequals(coding, "chunked"))) return;
      found = std::string(ce ? "Content-Encoding " : "Transfer-Encoding ") + std::string(coding);
    });
  }
  return found;
}

Refusal upstream_refusal(std::string why, const std::string& host) {
  return Refusal{502, Decision::error, why, "sandbox-egress: " + why + " (" + host + ")\n", false, host};
}

}  // namespace

std::expected<ResponsePlan, Refusal> check_response(const ResponseHead& res, const CanonicalRequest& req,
                                                    bool body_follows) {
  const std::string& host = req.target.host;
  if (res.status == 101 && !req.upgrade)
    return std::unexpected(upstream_refusal("upstream switched protocols without an Upgrade request", host));
  ResponsePlan plan;
  plan.upgraded = res.status == 101;
  if (!req.guarded) return plan;
  if (body_follows && !plan.upgraded) {
    std::string coding = opaque_coding(res);
    if (!coding.empty())
      return std::unexpected(upstream_refusal(
          "upstream answered with " + coding +
              " although identity was asked for; a body that cannot be scanned for echoed secrets is not "
              "passed on",
          host));
  }
  if (plan.upgraded)
    for (const auto& f : res.fields)
      if (iequals(f.name, "sec-websocket-extensions"))
        return std::unexpected(upstream_refusal(
            "upstream accepted the WebSocket with an extension although none was offered; frames that "
            "cannot be scanned for echoed secrets are not passed on",
            host));
  return plan;
}

}  // namespace sr::proxy::policy
