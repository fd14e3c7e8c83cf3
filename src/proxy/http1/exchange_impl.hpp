// Template definitions of exchange.hpp, instantiated once per client stream
// type (exchange_plain.cpp, exchange_tls.cpp) so the two heavy coroutine
// instantiations compile in parallel. Include from those two files only.
#pragma once

#include "proxy/http1/exchange.hpp"

#include <boost/beast/http/rfc7230.hpp>

#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "proxy/http1/relay.hpp"
#include "proxy/policy/gate.hpp"
#include "util/add_unique.hpp"

namespace sr::proxy {

namespace exchange_detail {

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::chrono::seconds kClientIdle{120};
// Not boost::none: Beast 1.74 compares a Content-Length against an empty
// optional limit as "greater" and fails with body_limit.
constexpr std::uint64_t kNoBodyLimit = std::numeric_limits<std::uint64_t>::max();

using RequestParser = http::request_parser<http::buffer_body>;

enum class Next { keep, close };

// Per-request bookkeeping: the audit record under construction.
struct RequestState {
  RequestState(LoopContext& c, std::shared_ptr<const Rules> r) : ctx(c), rules(std::move(r)) {}

  LoopContext& ctx;
  std::shared_ptr<const Rules> rules;
  AuditRecord rec;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  unsigned version = 11;
  bool client_keep = true;
  // The host has secrets mapped to it, so its responses may echo a real
  // value: identity encoding is asked for and enforced.
  bool guarded = false;
  // The refusal about to be sent (set by refuse(), sent by send_refusal()).
  // Kept here so that no temporary with a destructor appears inside a
  // co_await expression: GCC 12 destroys some of those twice.
  http::status refusal_status = http::status::forbidden;
  Decision refusal_decision = Decision::reject;
  std::string refusal_reason;
  std::string refusal_body;
  bool refusal_close = false;  // the request's framing is not trusted: end the connection

  void refuse(http::status status, Decision decision, std::string reason, std::string body) {
    refusal_status = status;
    refusal_decision = decision;
    refusal_reason = std::move(reason);
    refusal_body = "sandbox-egress: " + body + "\n";
  }

  // A refusal of the gate, sent as it is.
  void take(policy::Refusal&& r) {
    refusal_status = static_cast<http::status>(r.status);
    refusal_decision = r.decision;
    refusal_reason = std::move(r.reason);
    refusal_body = std::move(r.body);
    refusal_close = r.close;
    if (!r.host.empty()) rec.host = std::move(r.host);
  }

  void finish(unsigned status, Decision decision, std::string reason) {
    rec.status = status;
    rec.decision = decision;
    rec.reason = std::move(reason);
    rec.duration = std::chrono::steady_clock::now() - start;
    ctx.engine.record(rec, *rules);
  }
};

inline constexpr std::chrono::seconds kLingerTime{2};
inline constexpr std::size_t kLingerBytes = 1024 * 1024;

// A refusal sent while the client is still sending its request body ends
// the connection. Closed with unread bytes in its receive queue, a socket
// answers with a reset: the client's next send then fails (broken pipe,
// reset) before it reads the answer, and some stacks drop received data on
// a reset (RFC 9112 §9.6). So the write side is closed first (close_notify,
// then FIN: the client sees the whole answer) and what the client still
// sends is read and dropped, up to 1 MiB or 2 s.
template <class Stream>
awaitable<void> linger(Stream& client) {
  error_code ec;
  lowest(client).expires_after(kLingerTime);
  if constexpr (std::is_same_v<Stream, TlsStream>) co_await client.async_shutdown(ec_token(ec));
  lowest(client).socket().shutdown(tcp::socket::shutdown_send, ec);
  relay::RelayBuffer sink(relay::kChunk);
  for (std::size_t total = 0; total < kLingerBytes;) {
    std::size_t n =
        co_await client.async_read_some(asio::buffer(sink.data(), sink.size()), ec_token(ec));
    if (ec) break;
    total += n;
  }
}

template <class Stream>
awaitable<Next> send_refusal(Stream& client, RequestParser& parser, RequestState& st) {
  bool keep = parser.is_done() && st.client_keep && !st.refusal_close && !st.ctx.engine.draining();
  co_await send_text(client, st.version, st.refusal_status, st.refusal_body,
                     keep ? KeepAlive::yes : KeepAlive::no);
  st.finish(static_cast<unsigned>(st.refusal_status), st.refusal_decision,
            std::move(st.refusal_reason));
  if (!parser.is_done() || st.refusal_close) co_await linger(client);
  co_return keep ? Next::keep : Next::close;
}

// A close or half-close of the client before the end of its request body:
// Beast reports partial_message; a bare end of stream or a TLS stream cut
// without close_notify can show through as well.
inline bool body_ended_early(const error_code& ec) {
  return ec == http::error::partial_message || ec == http::error::end_of_stream ||
         ec == asio::error::eof || ec == ssl::error::stream_truncated;
}

// The client failed to deliver its request body whole (ended early, bad
// chunked framing, stalled): a client error, not an upstream one. Decision
// reject, no upstream error counted; the answer goes out with Connection:
// close (the parser is not done), which a half-closed client still reads.
inline void refuse_client_body(RequestState& st, const error_code& ec) {
  if (ec == beast::error::timeout) {
    std::string why = "no byte of the request body for " +
                      std::to_string(relay::kBodyIdle.count()) + " s";
    st.refuse(http::status::request_timeout, Decision::reject, "client error: " + why, why);
  } else if (body_ended_early(ec)) {
    std::string why = "the request body ended before its Content-Length / final chunk";
    st.refuse(http::status::bad_request, Decision::reject, "client error: " + why, why);
  } else if (ec.category() == http::make_error_code(http::error::bad_chunk).category()) {
    std::string why = "malformed request body: " + ec.message();
    st.refuse(http::status::bad_request, Decision::reject, "client error: " + why, why);
  } else {
    std::string why = "the client connection failed during the request body: " + ec.message();
    st.refuse(http::status::bad_request, Decision::reject, "client error: " + why, why);
  }
}

template <class Stream>
awaitable<void> send_continue(Stream& client) {
  http::response<http::empty_body> res{http::status::continue_, 11};
  error_code ec;
  co_await http::async_write(client, res, ec_token(ec));
}

struct ExchangeResult {
  Next next = Next::close;
  bool upstream_reusable = false;
  // A pooled connection turned out closed before any response byte and the
  // request can safely be sent again: nothing was sent to the client, the
  // caller retries once on a fresh connection.
  bool retry = false;
};

// RFC 9110 §9.2.2.
inline bool is_idempotent(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
      return true;
    default:
      return false;
  }
}

// The peer closed (or reset) the connection before sending any byte of a
// response: what a stale keep-alive connection looks like.
inline bool closed_before_response(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

inline void count_scrubs(Metrics& metrics, const ScrubRules& rules, const ScrubTally& tally) {
  for (std::size_t i = 0; i < tally.size() && i < rules.size(); ++i)
    if (tally[i]) metrics.count_scrub(rules.rule_name(i), tally[i]);
}

// The upstream failed or timed out before any response byte reached the
// client: counted, and the client is to get 504 or 502 naming it.
inline void refuse_upstream_failure(RequestState& st, bool timeout, std::string why) {
  st.ctx.engine.metrics().count_upstream_error(timeout ? UpstreamError::timeout
                                                       : UpstreamError::protocol);
  st.refuse(timeout ? http::status::gateway_timeout : http::status::bad_gateway, Decision::error,
            why, why + " (" + st.rec.host + ")");
}

inline constexpr std::uint64_t kWholeScrubLimit = 256 * 1024;

// The response body (at most kWholeScrubLimit, declared by Content-Length)
// read whole, scrubbed, and sent with the head of `out` and its new length.
template <class Client, class Up>
awaitable<ExchangeResult> send_whole(Client& client, RequestParser& parser, Up& up,
                                     UpstreamConn& conn, http::response_parser<http::buffer_body>& rp,
                                     http::response<http::buffer_body>&& out, RequestState& st,
                                     bool close_after) {
  const Rules& rules = *st.rules;
  auto& metrics = st.ctx.engine.metrics();
  std::string body;
  error_code ec;
  auto r = co_await relay::read_body(up, conn.buffer, rp, body, kWholeScrubLimit, ec);
  if (r != relay::Outcome::done) {
    // Nothing has gone to the client yet: it gets the error, not a cut body.
    bool timeout = ec == beast::error::timeout;
    refuse_upstream_failure(st, timeout,
                            timeout ? "upstream body timeout" : "upstream body read failed: " + ec.message());
    co_return ExchangeResult{co_await send_refusal(client, parser, st), false};
  }
  ScrubTally tally;
  http::response<http::string_body> res{std::move(out.base()), rules.scrub->scrub(body, nullptr, &tally)};
  count_scrubs(metrics, *rules.scrub, tally);
  res.content_length(res.body().size());
  lowest(client).expires_after(relay::kBodyIdle);
  co_await http::async_write(client, res, ec_token(ec));
  if (!ec) st.rec.bytes_out = res.body().size();
  st.finish(st.rec.status, ec ? Decision::error : Decision::allow, ec ? "client write failed" : "");
  co_return ExchangeResult{!ec && !close_after ? Next::keep : Next::close, !ec && rp.keep_alive()};
}

// Forwards the gate's canonical request on `up` and relays the response back.
template <class Client, class Up>
awaitable<ExchangeResult> exchange(Client& client, beast::flat_buffer& cbuf, RequestParser& parser,
                                   std::optional<std::string>& body, UpstreamConn& conn, Up& up,
                                   RequestState& st, policy::CanonicalRequest& creq) {
  auto& req = creq.head;  // what goes upstream: the gate's head, never parser.get()
  const Rules& rules = *st.rules;
  auto& metrics = st.ctx.engine.metrics();
  bool is_head = req.method() == http::verb::head;
  error_code ec;
  lowest(up).expires_after(rules.header_timeout);
  bool sent = true;
  // Whether the request can be sent again as it was (its head and any body
  // are still here), should this pooled connection turn out stale.
  bool replayable = true;
  if (body) {
    // The head and body are moved back after the write, for a retry. The
    // gate set Content-Length (complete_body); trailers the parser merged
    // into parser.get() while reading the body never reach this head.
    http::request<http::string_body> out{std::move(req), std::move(*body)};
    st.rec.bytes_in = out.body().size();
    co_await http::async_write(up, out, ec_token(ec));
    sent = !ec;
    req = std::move(out.base());
    *body = std::move(out.body());
  } else if (creq.body == policy::BodyPlan::none ||
             (creq.body == policy::BodyPlan::length && creq.length == 0)) {
    http::request<http::empty_body> out{std::move(req)};
    co_await http::async_write(up, out, ec_token(ec));
    sent = !ec;
    req = std::move(out.base());
  } else {
    error_code client_ec;
    auto watch = rules.secrets.watch(st.rec.host);
    http::request<http::buffer_body> out{std::move(req)};
    auto r = co_await relay::stream_request(client, cbuf, parser, out, up, st.rec.bytes_in, client_ec,
                                            watch ? &*watch : nullptr);
    req = std::move(out.base());
    if (r == relay::Outcome::refused) {
      // As for a token in the head (SecretSet::apply), but part of the
      // request has gone upstream: that connection is closed, so the
      // upstream never gets the rest, and the client gets the 403.
      error_code ignored;
      lowest(up).socket().shutdown(tcp::socket::shutdown_both, ignored);
      std::string why = watch->reason() + " in the request body";
      st.refuse(http::status::forbidden, Decision::reject, why, "refused: " + why);
      // Refused mid-body: the connection ends, whether or not the client
      // had sent all of its body.
      st.refusal_close = true;
      auto next = co_await send_refusal(client, parser, st);
      co_return ExchangeResult{next, false};
    }
    if (r == relay::Outcome::read_failed) {
      // The head and maybe part of the body went upstream: that connection
      // holds a partial request, so it is not reusable (the caller closes
      // it). No response byte has reached the client yet: it gets the 400.
      error_code ignored;
      lowest(up).socket().shutdown(tcp::socket::shutdown_both, ignored);
      refuse_client_body(st, client_ec);
      auto next = co_await send_refusal(client, parser, st);
      co_return ExchangeResult{next, false};
    }
    sent = r == relay::Outcome::done;
    replayable = r == relay::Outcome::not_sent;  // no body byte consumed yet
  }
  std::optional<http::response_parser<http::buffer_body>> rp;
  bool any_response = false;
  for (bool first = true; sent && (first || rp->get().result_int() / 100 == 1); first = false) {
    if (!first) any_response = true;
    rp.emplace();
    rp->header_limit(kHeaderLimit);
    if (rules.config.max_response_body_bytes)
      rp->body_limit(rules.config.max_response_body_bytes);
    else
      rp->body_limit(kNoBodyLimit);
    if (is_head) rp->skip(true);
    lowest(up).expires_after(rules.header_timeout);
    co_await http::async_read_header(up, conn.buffer, *rp, ec_token(ec));
    if (ec) break;
    if (rp->get().result() == http::status::switching_protocols) break;
  }
  if (!sent || ec) {
    // A stale pooled connection: retry once on a fresh one when that cannot
    // run the request twice (idempotent, or it never fully left), RFC 9110 §9.2.2.
    if (conn.reused && replayable && !any_response && conn.buffer.size() == 0 &&
        (!sent || closed_before_response(ec)) && (!sent || is_idempotent(req.method())))
      co_return ExchangeResult{Next::close, false, true};
    bool timeout = ec == beast::error::timeout;
    refuse_upstream_failure(
        st, timeout,
        timeout ? "upstream response header timeout"
                : "upstream failed: " + (sent ? ec.message() : std::string("writing the request")));
    auto next = co_await send_refusal(client, parser, st);
    co_return ExchangeResult{next, false};
  }
  auto& res = rp->get();
  policy::ResponseHead view{res.result_int(), {}};
  view.fields.reserve(16);
  for (auto const& f : res) view.fields.push_back({sv(f.name_string()), sv(f.value())});
  auto plan = policy::check_response(view, creq, !rp->is_done());
  if (!plan) {
    metrics.count_upstream_error(UpstreamError::protocol);
    st.take(std::move(plan.error()));
    auto next = co_await send_refusal(client, parser, st);
    co_return ExchangeResult{next, false};
  }
  bool upgraded = plan->upgraded;
  http::response<http::buffer_body> out;
  out.version(st.version);
  out.result(res.result_int());
  out.reason(res.reason());
  ScrubTally tally;
  for (auto const& f : res) {
    if (policy::is_response_hop_field(sv(f.name_string()), upgraded)) continue;
    if (rules.scrub->empty())
      out.insert(f.name_string(), f.value());
    else
      out.insert(f.name_string(), rules.scrub->scrub(sv(f.value()), nullptr, &tally));
  }
  count_scrubs(metrics, *rules.scrub, tally);
  bool close_after = !st.client_keep || st.ctx.engine.draining();
  bool body_follows = !rp->is_done() && !upgraded;
  bool scrub = body_follows && !rules.scrub->empty();
  // A scrubbed body of known, bounded length is read whole and scrubbed in
  // one piece, so it keeps a Content-Length (the scrub can change the
  // length); a larger or open-ended one streams through the scrubber,
  // chunked (server-sent events are never held back).
  bool whole = scrub && rp->content_length() && *rp->content_length() <= kWholeScrubLimit;
  std::optional<StreamScrubber> scrubber;
  if (scrub && !whole) scrubber.emplace(rules.scrub);
  if (body_follows && !whole && (scrubber || !rp->content_length())) {
    out.erase(http::field::content_length);
    if (st.version == 11)
      out.chunked(true);
    else
      close_after = true;
  }
  if (!upgraded) out.keep_alive(!close_after);
  st.rec.status = res.result_int();
  if (upgraded || !body_follows) {
    out.body().data = nullptr;
    out.body().more = false;
    lowest(client).expires_after(relay::kBodyIdle);
    co_await http::async_write(client, out, ec_token(ec));
    if (upgraded && !ec) {
      // The sandbox's frames are watched, like a streamed body, wherever a
      // token must not go (any host some token does not belong to), and
      // their tokens swapped where an entry for the host has match_body (the
      // messages are a WebSocket's body; such a host is guarded), unless
      // the upstream accepted an extension (permessage-deflate, offered
      // where no secret is mapped): compressed frames cannot be read, the
      // same detection limit as a compressed request body. The upstream's
      // frames are scrubbed like a response body towards a host with
      // secrets mapped, and re-framed wherever the sandbox's are watched (so
      // a refusal can end with a close frame); elsewhere the bytes pass raw.
      std::optional<WsFrameScrubber> sandbox_frames;
      if (!res.count(http::field::sec_websocket_extensions))
        if (auto watch = rules.secrets.watch(st.rec.host, /*swap_own=*/creq.swap_frames))
          sandbox_frames.emplace(*watch);
      std::optional<WsFrameScrubber> frames;
      if ((st.guarded && !rules.scrub->empty()) || sandbox_frames) frames.emplace(rules.scrub);
      co_await relay::splice(client, cbuf, up, conn.buffer, st.rec.bytes_in, st.rec.bytes_out,
                             frames ? &*frames : nullptr, sandbox_frames ? &*sandbox_frames : nullptr);
      if (frames) count_scrubs(metrics, *rules.scrub, frames->tally());
      if (sandbox_frames)
        for (auto& name : sandbox_frames->swapped()) util::add_unique(st.rec.secrets_swapped, std::move(name));
      if (sandbox_frames && !sandbox_frames->reason().empty())
        st.finish(st.rec.status, Decision::reject, sandbox_frames->reason());
      else
        st.finish(st.rec.status, Decision::allow, "");
      co_return ExchangeResult{};
    }
    st.finish(st.rec.status, Decision::allow, "");
    co_return ExchangeResult{ec || close_after ? Next::close : Next::keep, rp->keep_alive() && !ec};
  }
  if (whole) co_return co_await send_whole(client, parser, up, conn, *rp, std::move(out), st,
                                          close_after);
  auto r = co_await relay::stream_response(up, conn.buffer, *rp, out, client, scrubber,
                                           st.rec.bytes_out);
  if (scrubber) count_scrubs(metrics, *rules.scrub, scrubber->tally());
  bool ok = r == relay::Outcome::done;
  if (r == relay::Outcome::read_failed) metrics.count_upstream_error(UpstreamError::protocol);
  st.finish(st.rec.status, ok ? Decision::allow : Decision::error,
            ok ? ""
               : (r == relay::Outcome::read_failed ? "upstream body read failed"
                                                   : "client write failed"));
  co_return ExchangeResult{ok && !close_after ? Next::keep : Next::close, ok && rp->keep_alive()};
}

inline std::string deny_reason(const Rules& rules, const asio::ip::address& addr) {
  if (auto cidr = rules.deny.find(addr))
    return addr.to_string() + " is in the deny CIDR " + cidr->to_string();
  return {};
}

// The client's head as the gate sees it: views into parser.get().
inline policy::RequestHead head_view(const http::request_header<>& req) {
  policy::RequestHead h{sv(req.method_string()), sv(req.target()), req.version(), {}};
  h.fields.reserve(16);
  for (auto const& f : req) h.fields.push_back({sv(f.name_string()), sv(f.value())});
  return h;
}

inline policy::ConnContext conn_context(const ConnInfo& info) {
  policy::ConnContext c;
  switch (info.mode) {
    case Mode::forward: c.listener = policy::Listener::forward; break;
    case Mode::tunnel_plain: c.listener = policy::Listener::tunnel_plain; break;
    case Mode::tunnel_tls: c.listener = policy::Listener::tunnel_tls; break;
    case Mode::transparent_tls: c.listener = policy::Listener::transparent_tls; break;
  }
  c.tunnel = policy::Authority{info.tunnel.host, info.tunnel.port, info.tunnel.scheme == Scheme::https};
  // The upstream TLS context verifies the chain and the host name
  // (SSL_set1_host, upstream.cpp) of every https leg.
  bool tls = info.mode == Mode::tunnel_tls || info.mode == Mode::transparent_tls;
  c.leg = tls ? policy::UpstreamLeg::tls_verified : policy::UpstreamLeg::plain;
  return c;
}

template <class Stream>
awaitable<Next> handle_request(Stream& client, beast::flat_buffer& cbuf, RequestParser& parser,
                               LoopContext& ctx, ConnInfo& info) {
  auto& req = parser.get();
  RequestState st(ctx, ctx.engine.rules());
  const Rules& rules = *st.rules;
  st.rec.client = info.client;
  st.rec.original_dst = info.original_dst;
  st.rec.method = std::string(req.method_string());
  st.rec.target = std::string(req.target());
  st.rec.host = info.mode == Mode::forward ? std::string() : info.tunnel.host;
  st.version = req.version();
  st.client_keep = req.keep_alive();

  auto cctx = conn_context(info);
  cctx.narrowing = rules.narrowings.find(info.client_ip);
  if (cctx.narrowing) st.rec.narrowing = cctx.narrowing->label;
  auto verdict = policy::check_request(head_view(req), cctx, rules);
  if (!verdict) {
    st.take(std::move(verdict.error()));
    co_return co_await send_refusal(client, parser, st);
  }
  policy::CanonicalRequest& creq = *verdict;
  st.rec.host = creq.target.host;
  st.guarded = creq.guarded;
  bool expect = creq.expect_continue;
  std::optional<std::string> body;
  if (creq.body == policy::BodyPlan::whole) {
    if (expect) co_await send_continue(client);
    expect = false;
    body.emplace();
    error_code client_ec;
    auto r = co_await relay::read_body(client, cbuf, parser, *body,
                                       rules.config.max_request_body_bytes, client_ec);
    if (r == relay::Outcome::too_large) {
      st.refuse(http::status::payload_too_large, Decision::reject,
                "request body over max_request_body_bytes",
                "request body larger than max_request_body_bytes");
      co_return co_await send_refusal(client, parser, st);
    }
    if (r != relay::Outcome::done) {
      // Nothing was sent upstream yet (no connection is taken before the
      // whole body is here).
      st.rec.bytes_in = body->size();
      refuse_client_body(st, client_ec);
      co_await send_refusal(client, parser, st);
      co_return Next::close;
    }
    if (auto refusal = policy::complete_body(creq, cctx, rules, *body)) {
      st.take(std::move(*refusal));
      co_return co_await send_refusal(client, parser, st);
    }
  }
  st.rec.secrets_swapped = creq.swapped;
  Target target{creq.target.tls ? Scheme::https : Scheme::http, creq.target.host, creq.target.port};

  AddressFilter filter = [rules = st.rules](const asio::ip::address& a) {
    return deny_reason(*rules, a);
  };
  for (int attempt = 0;; ++attempt) {
    auto conn =
        co_await ctx.pool.acquire(target, filter, attempt == 0 ? Reuse::pooled_ok : Reuse::fresh_only);
    if (!conn) {
      const auto& err = conn.error();
      ctx.engine.metrics().count_upstream_error(err.kind);
      bool denied = err.kind == UpstreamError::denied;
      auto status = denied                               ? http::status::forbidden
                    : err.kind == UpstreamError::timeout ? http::status::gateway_timeout
                                                         : http::status::bad_gateway;
      {
        st.refuse(status, denied ? Decision::reject : Decision::error, err.message, err.message);
        co_return co_await send_refusal(client, parser, st);
      }
    }
    if (attempt == 0 && expect && !parser.is_done()) co_await send_continue(client);
    auto result = co_await std::visit(
        [&](auto& up) { return exchange(client, cbuf, parser, body, **conn, up, st, creq); },
        (*conn)->stream);
    if (result.retry && attempt == 0) {
      // The stale connection is dropped (closed) here.
      ctx.engine.metrics().count_upstream_retry();
      continue;
    }
    if (result.upstream_reusable && parser.is_done()) ctx.pool.release(std::move(*conn));
    co_return parser.is_done() ? result.next : Next::close;
  }
}

}  // namespace exchange_detail

using namespace exchange_detail;

template <class Stream>
awaitable<void> send_text(Stream& stream, unsigned version, http::status status,
                          const std::string& body, KeepAlive keep_alive) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = body;
  res.keep_alive(keep_alive == KeepAlive::yes);
  res.prepare_payload();
  error_code ec;
  lowest(stream).expires_after(std::chrono::seconds(30));
  co_await http::async_write(stream, res, ec_token(ec));
}

namespace exchange_detail {

// Reads until the buffer holds a whole request head (its empty line) or
// kHeaderLimit bytes, so that the gate can see the raw bytes the parser
// would otherwise unfold (obs-fold). The parser then reads from the buffer.
template <class Stream>
awaitable<error_code> read_raw_head(Stream& client, beast::flat_buffer& buffer) {
  std::size_t searched = 0;
  for (;;) {
    std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
    std::size_t from = searched > 3 ? searched - 3 : 0;
    if (bytes.find("\r\n\r\n", from) != std::string_view::npos ||
        bytes.find("\n\n", from) != std::string_view::npos || bytes.size() >= kHeaderLimit)
      co_return error_code{};
    searched = bytes.size();
    error_code ec;
    std::size_t n = co_await client.async_read_some(
        buffer.prepare(std::min<std::size_t>(4096, kHeaderLimit - bytes.size())), ec_token(ec));
    if (ec) co_return ec;
    buffer.commit(n);
  }
}

}  // namespace exchange_detail

template <class Stream>
awaitable<LoopEnd> request_loop(Stream& client, beast::flat_buffer& buffer, LoopContext& ctx,
                                ConnInfo& info) {
  for (;;) {
    RequestParser parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kNoBodyLimit);
    if (!co_await await_request(client, buffer)) co_return LoopEnd::closed;
    error_code ec = co_await read_raw_head(client, buffer);
    if (ec) co_return LoopEnd::closed;
    std::string_view raw(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (auto refusal = policy::check_raw_head(raw.substr(0, raw.find("\r\n\r\n")))) {
      co_await send_text(client, 11, static_cast<http::status>(refusal->status), refusal->body,
                         KeepAlive::no);
      co_return LoopEnd::closed;
    }
    co_await http::async_read_header(client, buffer, parser, ec_token(ec));
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        // Beast refuses a repeated Transfer-Encoding itself: answered like
        // the gate's other Transfer-Encoding refusals (framing.hpp).
        bool te = ec == http::error::bad_transfer_encoding;
        std::string text = te ? "sandbox-egress: malformed request: Transfer-Encoding is accepted only "
                                "once, as exactly \"chunked\"\n"
                              : "sandbox-egress: malformed request: " + ec.message() + "\n";
        co_await send_text(client, 11, te ? http::status::not_implemented : http::status::bad_request, text,
                           KeepAlive::no);
      }
      co_return LoopEnd::closed;
    }
    if (parser.get().method() == http::verb::connect) {
      if (info.mode != Mode::forward) {
        std::string text = "sandbox-egress: CONNECT inside a tunnel\n";
        co_await send_text(client, parser.get().version(), http::status::method_not_allowed, text,
                           KeepAlive::no);
        co_return LoopEnd::closed;
      }
      info.connect_authority = std::string(parser.get().target());
      co_return LoopEnd::connect_requested;
    }
    Engine::InFlight guard(ctx.engine);
    auto next = co_await handle_request(client, buffer, parser, ctx, info);
    if (next == Next::close || ctx.engine.draining()) co_return LoopEnd::closed;
  }
}

}  // namespace sr::proxy
