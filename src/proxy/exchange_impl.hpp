// Template definitions of exchange.hpp, instantiated once per client stream
// type (exchange_plain.cpp, exchange_tls.cpp) so the two heavy coroutine
// instantiations compile in parallel. Include from those two files only.
#pragma once

#include "proxy/exchange.hpp"

#include <boost/beast/http/rfc7230.hpp>

#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "proxy/relay.hpp"
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

  void refuse(http::status status, Decision decision, std::string reason, std::string body) {
    refusal_status = status;
    refusal_decision = decision;
    refusal_reason = std::move(reason);
    refusal_body = "sandbox-egress: " + body + "\n";
  }

  void finish(unsigned status, Decision decision, std::string reason) {
    rec.status = status;
    rec.decision = decision;
    rec.reason = std::move(reason);
    rec.duration = std::chrono::steady_clock::now() - start;
    ctx.engine.record(rec, *rules);
  }
};

inline bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && beast::iequals(bsv(s.substr(0, prefix.size())), bsv(prefix));
}

// "http://host[:port]/path?q" -> the target and the origin-form "/path?q".
inline std::optional<std::pair<Target, std::string>> parse_absolute(std::string_view uri) {
  if (!starts_with_nocase(uri, "http://")) return std::nullopt;
  std::string_view rest = uri.substr(7);
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string origin = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  if (origin.front() != '/') origin.insert(0, "/");
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  Target target{Scheme::http, "", 80};
  std::size_t close = authority.rfind(']');
  std::size_t colon = authority.rfind(':');
  bool has_port = colon != std::string_view::npos &&
                  (close == std::string_view::npos ? authority.find(':') == colon : colon > close);
  if (has_port) {
    auto hp = split_host_port(authority);
    if (!hp || hp->port == 0) return std::nullopt;
    target.host = hp->host;
    target.port = hp->port;
  } else {
    auto host = normalize_host(authority);
    if (!host) return std::nullopt;
    target.host = *host;
  }
  return std::make_pair(std::move(target), std::move(origin));
}

inline bool lists_token(std::string_view value, std::string_view token) {
  for (auto const& t : http::token_list{bsv(value)})
    if (beast::iequals(t, bsv(token))) return true;
  return false;
}

// Only WebSocket upgrades are passed through. Any other protocol (h2c, ...)
// would carry later requests past the pipeline (no allowlist, swap or
// wrong-host check per request), so its Upgrade field is dropped and the
// request is served as plain HTTP/1.1, as RFC 9110 §7.8 allows.
inline bool is_upgrade(const RequestHead& req) {
  return lists_token(sv(req[http::field::upgrade]), "websocket") &&
         lists_token(sv(req[http::field::connection]), "upgrade");
}

// "host[:port]" for the Host field (port left out when it is the default).
inline std::string authority(const Target& t) {
  std::string host = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
  std::uint16_t default_port = t.scheme == Scheme::https ? 443 : 80;
  return t.port == default_port ? host : host + ":" + std::to_string(t.port);
}

// Removes the hop-by-hop fields (RFC 9110 §7.6.1) and those the Connection
// field names. Framing fields are left to Beast, which re-does them.
template <class Fields>
void strip_hop_by_hop(Fields& f, bool keep_upgrade) {
  std::vector<std::string> listed;
  for (auto const& t : http::token_list{f[http::field::connection]}) listed.emplace_back(t);
  for (const auto& name : listed) {
    if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
        beast::iequals(name, "host") || (keep_upgrade && beast::iequals(name, "upgrade")))
      continue;
    f.erase(name);
  }
  for (auto field : {http::field::connection, http::field::keep_alive,
                     http::field::proxy_connection, http::field::proxy_authorization,
                     http::field::proxy_authenticate, http::field::te, http::field::trailer})
    f.erase(field);
  if (!keep_upgrade) f.erase(http::field::upgrade);
  if (keep_upgrade) f.set(http::field::connection, "Upgrade");
}

inline bool is_response_hop_field(http::field name, std::string_view name_string, bool upgraded) {
  switch (name) {
    case http::field::connection:
    case http::field::upgrade:
      return !upgraded;
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::proxy_authenticate:
    case http::field::te:
    case http::field::trailer:
    case http::field::transfer_encoding:
      return true;
    default:
      return beast::iequals(bsv(name_string), "proxy-connection");
  }
}

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
  bool keep = parser.is_done() && st.client_keep && !st.ctx.engine.draining();
  co_await send_text(client, st.version, st.refusal_status, st.refusal_body,
                     keep ? KeepAlive::yes : KeepAlive::no);
  st.finish(static_cast<unsigned>(st.refusal_status), st.refusal_decision,
            std::move(st.refusal_reason));
  if (!parser.is_done()) co_await linger(client);
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

// A content or transfer coding the scrubber cannot see through ("" when the
// body is identity-encoded, apart from chunked framing).
template <class Fields>
std::string opaque_coding(const Fields& res) {
  for (auto const& t : http::token_list{res[http::field::content_encoding]})
    if (!beast::iequals(t, "identity")) return "Content-Encoding " + std::string(t);
  for (auto const& t : http::token_list{res[http::field::transfer_encoding]})
    if (!beast::iequals(t, "chunked") && !beast::iequals(t, "identity"))
      return "Transfer-Encoding " + std::string(t);
  return {};
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

// Forwards the rewritten request on `up` and relays the response back.
template <class Client, class Up>
awaitable<ExchangeResult> exchange(Client& client, beast::flat_buffer& cbuf, RequestParser& parser,
                                   std::optional<std::string>& body, UpstreamConn& conn, Up& up,
                                   RequestState& st, bool upgrade) {
  auto& req = parser.get();
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
    // The head and body are moved back after the write, for a retry.
    http::request<http::string_body> out{std::move(req.base()), std::move(*body)};
    out.prepare_payload();
    st.rec.bytes_in = out.body().size();
    co_await http::async_write(up, out, ec_token(ec));
    sent = !ec;
    req.base() = std::move(out.base());
    *body = std::move(out.body());
  } else if (parser.is_done()) {
    http::request<http::empty_body> out{std::move(req.base())};
    co_await http::async_write(up, out, ec_token(ec));
    sent = !ec;
    req.base() = std::move(out.base());
  } else {
    error_code client_ec;
    auto watch = rules.secrets.watch(st.rec.host);
    auto r = co_await relay::stream_request(client, cbuf, parser, up, st.rec.bytes_in, client_ec,
                                            watch ? &*watch : nullptr);
    if (r == relay::Outcome::refused) {
      // As for a token in the head (SecretSet::apply), but part of the
      // request has gone upstream: that connection is closed, so the
      // upstream never gets the rest, and the client gets the 403.
      error_code ignored;
      lowest(up).socket().shutdown(tcp::socket::shutdown_both, ignored);
      std::string why = watch->reason() + " in the request body";
      st.refuse(http::status::forbidden, Decision::reject, why, "refused: " + why);
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
  bool upgraded = upgrade && res.result() == http::status::switching_protocols;
  if (res.result() == http::status::switching_protocols && !upgrade) {
    metrics.count_upstream_error(UpstreamError::protocol);
    std::string why = "upstream switched protocols without an Upgrade request";
    st.refuse(http::status::bad_gateway, Decision::error, why, why + " (" + st.rec.host + ")");
    auto next = co_await send_refusal(client, parser, st);
    co_return ExchangeResult{next, false};
  }
  if (st.guarded && !upgraded && !rp->is_done()) {
    // identity was asked for; a body the scrubber cannot read could carry an
    // echoed secret to the sandbox, so it is refused rather than passed on.
    std::string coding = opaque_coding(res);
    if (!coding.empty()) {
      metrics.count_upstream_error(UpstreamError::protocol);
      std::string why = "upstream answered with " + coding +
                        " although identity was asked for; a body that cannot be scanned for "
                        "echoed secrets is not passed on";
      st.refuse(http::status::bad_gateway, Decision::error, why, why + " (" + st.rec.host + ")");
      auto next = co_await send_refusal(client, parser, st);
      co_return ExchangeResult{next, false};
    }
  }
  if (upgraded && st.guarded && res.count(http::field::sec_websocket_extensions)) {
    // None was offered (the field is removed from the request): compressed
    // frames could carry an echoed secret past the frame scrubber.
    metrics.count_upstream_error(UpstreamError::protocol);
    std::string why = "upstream accepted the WebSocket with an extension although none was "
                      "offered; frames that cannot be scanned for echoed secrets are not passed on";
    st.refuse(http::status::bad_gateway, Decision::error, why, why + " (" + st.rec.host + ")");
    auto next = co_await send_refusal(client, parser, st);
    co_return ExchangeResult{next, false};
  }
  http::response<http::buffer_body> out;
  out.version(st.version);
  out.result(res.result_int());
  out.reason(res.reason());
  ScrubTally tally;
  for (auto const& f : res) {
    if (is_response_hop_field(f.name(), sv(f.name_string()), upgraded)) continue;
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
        if (auto watch = rules.secrets.watch(st.rec.host, /*swap_own=*/true))
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

template <class Stream>
awaitable<Next> handle_request(Stream& client, beast::flat_buffer& cbuf, RequestParser& parser,
                               LoopContext& ctx, ConnInfo& info) {
  auto& req = parser.get();
  RequestState st(ctx, ctx.engine.rules());
  const Rules& rules = *st.rules;
  st.rec.client = info.client;
  st.rec.method = std::string(req.method_string());
  st.rec.target = std::string(req.target());
  st.version = req.version();
  st.client_keep = req.keep_alive();

  Target target = info.tunnel;
  std::string origin(req.target());
  if (info.mode == Mode::forward || starts_with_nocase(origin, "http://")) {
    auto abs = parse_absolute(sv(req.target()));
    if (!abs) {
      st.refuse(http::status::bad_request, Decision::reject, "not an absolute-form http:// request",
                "this is a proxy: send absolute-form http:// URIs, "
                "or CONNECT for https");
      co_return co_await send_refusal(client, parser, st);
    }
    if (info.mode == Mode::forward) target = abs->first;
    origin = abs->second;
  }
  st.rec.host = target.host;
  if (!rules.allowlist.matches_normalized(target.host)) {
    st.refuse(http::status::forbidden, Decision::reject, "host not on the allowlist",
              "host " + target.host + " is not on the allowlist");
    co_return co_await send_refusal(client, parser, st);
  }
  // The Host field must name the host actually dialled: a shared front end
  // (a CDN) routes by it, so a different name could carry the request, and
  // its swapped secret, to another site behind the same address (domain
  // fronting). Absolute-form: replaced by the URI's authority (RFC 9112
  // §3.2.2); in a tunnel: refused when it names another host.
  if (info.mode == Mode::forward || req[http::field::host].empty()) {
    req.set(http::field::host, authority(target));
  } else if (normalize_host(sv(req[http::field::host])) != target.host) {
    st.refuse(http::status::forbidden, Decision::reject,
              "Host header does not name the tunnel's host",
              "the Host header does not name " + target.host + ", the host of this tunnel");
    co_return co_await send_refusal(client, parser, st);
  }
  if (req.count(http::field::content_length) && req.count(http::field::transfer_encoding)) {
    st.refuse(http::status::bad_request, Decision::reject,
              "both Content-Length and Transfer-Encoding",
              "both Content-Length and Transfer-Encoding");
    co_return co_await send_refusal(client, parser, st);
  }
  bool expect = lists_token(sv(req[http::field::expect]), "100-continue");
  req.erase(http::field::expect);
  std::optional<std::string> body;
  if (rules.secrets.wants_body(target.host) && !parser.is_done()) {
    // A declared length over the limit is refused before any body byte is
    // read (and before "100 Continue"), so the client sees the 413.
    if (parser.content_length() && *parser.content_length() > rules.config.max_request_body_bytes) {
      st.refuse(http::status::payload_too_large, Decision::reject,
                "request body over max_request_body_bytes",
                "request body larger than max_request_body_bytes");
      co_return co_await send_refusal(client, parser, st);
    }
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
  }
  req.target(origin);
  auto swap = rules.secrets.apply(req, target.host, body ? &*body : nullptr);
  st.rec.secrets_swapped = swap.swapped;
  if (swap.decision != Decision::allow) {
    st.refuse(http::status::forbidden, Decision::reject, swap.reason, "refused: " + swap.reason);
    co_return co_await send_refusal(client, parser, st);
  }
  bool upgrade = is_upgrade(req);
  strip_hop_by_hop(req, upgrade);
  req.version(11);
  st.guarded = rules.secrets.maps_host(target.host);
  if (st.guarded) {
    req.set(http::field::accept_encoding, "identity");
    // No permessage-deflate: compressed frames could not be scanned for
    // echoed secrets (the WebSocket counterpart of identity encoding).
    if (upgrade) req.erase(http::field::sec_websocket_extensions);
  }

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
        [&](auto& up) { return exchange(client, cbuf, parser, body, **conn, up, st, upgrade); },
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

template <class Stream>
awaitable<LoopEnd> request_loop(Stream& client, beast::flat_buffer& buffer, LoopContext& ctx,
                                ConnInfo& info) {
  for (;;) {
    RequestParser parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kNoBodyLimit);
    if (!co_await await_request(client, buffer)) co_return LoopEnd::closed;
    error_code ec;
    co_await http::async_read_header(client, buffer, parser, ec_token(ec));
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        std::string text = "sandbox-egress: malformed request: " + ec.message() + "\n";
        co_await send_text(client, 11, http::status::bad_request, text, KeepAlive::no);
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
