// Body relays shared by the exchange: streaming a request body upstream,
// streaming a (scrubbed) response body back, and the raw byte splice after an
// Upgrade. Internal to the engine (included by exchange_impl.hpp only).
//
// Bodies go through Beast parsers with buffer_body and async_read_some, so a
// chunk is forwarded as soon as it arrives (server-sent events are not held
// back) and memory per exchange stays bounded by one chunk plus the
// scrubber's carry-over.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "proxy/client_timeouts.hpp"
#include "proxy/net.hpp"
#include "proxy/policy/scrubber.hpp"
#include "proxy/policy/secrets.hpp"
#include "proxy/policy/ws_frames.hpp"

namespace sr::proxy::relay {

inline constexpr std::size_t kChunk = 16 * 1024;
inline constexpr std::chrono::seconds kBodyIdle{600};
// How long the close frame that ends a filtered WebSocket may take to leave.
inline constexpr std::chrono::seconds kCloseWrite{5};

// A relay buffer on the heap rather than on the coroutine frame: as large
// as the body when its declared length is below kChunk (a small answer costs
// a small allocation, not a 16 KiB frame), else kChunk.
class RelayBuffer {
 public:
  // `length`: the parser's content_length() (boost::optional).
  template <class OptionalLength>
  static RelayBuffer for_body(const OptionalLength& length) {
    return RelayBuffer(length ? static_cast<std::size_t>(std::clamp<std::uint64_t>(*length, 1, kChunk))
                              : kChunk);
  }
  explicit RelayBuffer(std::size_t size)
      : size_(size), data_(std::make_unique_for_overwrite<char[]>(size_)) {}
  char* data() { return data_.get(); }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  std::unique_ptr<char[]> data_;
};

// not_sent: writing the request head upstream failed before any body byte
// was read from the client (the request can still be re-sent elsewhere).
// refused: the TokenWatch found a token that must not go to the host (the
// head and the body before it have gone upstream; that connection must be
// closed).
enum class Outcome { done, read_failed, write_failed, too_large, not_sent, refused };

// Reads the rest of the body of `parser` (a request from the client, or a
// response from the upstream) into `out`, failing with too_large beyond
// `limit` bytes. On read_failed, `read_ec` holds the reading side's
// error (http::error::partial_message when the peer closed or half-closed
// before the end of the body, a chunk error for bad framing, a timeout).
template <class Stream, bool isRequest>
awaitable<Outcome> read_body(Stream& from, beast::flat_buffer& buffer,
                             http::parser<isRequest, http::buffer_body>& parser, std::string& out,
                             std::uint64_t limit, error_code& read_ec) {
  auto chunk = RelayBuffer::for_body(parser.content_length());
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    lowest(from).expires_after(kBodyIdle);
    error_code ec;
    co_await http::async_read_some(from, buffer, parser, ec_token(ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      read_ec = ec;
      co_return Outcome::read_failed;
    }
    out.append(chunk.data(), chunk.size() - parser.get().body().size);
    if (out.size() > limit) co_return Outcome::too_large;
  }
  co_return Outcome::done;
}

// Streams the request body from the client upstream behind the head of
// `out` (the gate's canonical head, with the engine's own framing field:
// Content-Length or chunked, which the serializer applies). The body is read
// decoded from `parser` (chunk extensions and trailers stay there: trailer
// fields merged into parser.get() never reach `out`). On read_failed the
// head and possibly part of the body have gone upstream (that connection
// holds a partial request and must be closed), and `client_ec` holds the
// client-side error, as for read_body. With a `watch`, the body goes
// upstream through it (held back by less than a token's length) and a
// refused token ends the relay before any of it is written.
template <class Client, class Up>
awaitable<Outcome> stream_request(Client& client, beast::flat_buffer& buffer,
                                  http::request_parser<http::buffer_body>& parser,
                                  http::request<http::buffer_body>& out, Up& up,
                                  std::uint64_t& bytes, error_code& client_ec,
                                  TokenWatch* watch = nullptr) {
  auto& in = parser.get();
  http::request_serializer<http::buffer_body> sr{out};
  out.body().data = nullptr;
  out.body().size = 0;
  out.body().more = true;
  error_code ec;
  co_await http::async_write_header(up, sr, ec_token(ec));
  if (ec) co_return Outcome::not_sent;
  auto chunk = RelayBuffer::for_body(parser.content_length());
  std::string passed;  // what the watch lets through
  for (;;) {
    if (!parser.is_done()) {
      in.body().data = chunk.data();
      in.body().size = chunk.size();
      lowest(client).expires_after(kBodyIdle);
      co_await http::async_read_some(client, buffer, parser, ec_token(ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        client_ec = ec;
        co_return Outcome::read_failed;
      }
      std::size_t n = chunk.size() - in.body().size;
      bytes += n;
      char* data = chunk.data();
      if (watch) {
        passed.clear();
        if (!watch->feed({chunk.data(), n}, passed) || (parser.is_done() && !watch->finish(passed)))
          co_return Outcome::refused;
        data = passed.data();
        n = passed.size();
      }
      out.body().data = n ? data : nullptr;
      out.body().size = n;
      out.body().more = !parser.is_done();
      if (n == 0 && !parser.is_done()) continue;
    } else {
      out.body().data = nullptr;
      out.body().size = 0;
      out.body().more = false;
    }
    lowest(up).expires_after(kBodyIdle);
    co_await http::async_write(up, sr, ec_token(ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return Outcome::write_failed;
    if (parser.is_done() && sr.is_done()) co_return Outcome::done;
  }
}

// Streams the response body of `rp` to the client through `out` (whose
// header is written first), replacing echoed secrets when `scrubber` is set.
template <class Client, class Up>
awaitable<Outcome> stream_response(Up& up, beast::flat_buffer& up_buffer,
                                   http::response_parser<http::buffer_body>& rp,
                                   http::response<http::buffer_body>& out, Client& client,
                                   std::optional<StreamScrubber>& scrubber, std::uint64_t& bytes) {
  http::response_serializer<http::buffer_body> sr{out};
  out.body().data = nullptr;
  out.body().size = 0;
  out.body().more = true;
  error_code ec;
  // The head goes out on its own only when no body byte is at hand yet (a
  // slow or streaming upstream: the client sees the status at once);
  // otherwise it leaves with the first piece of the body in one write, which
  // a TlsStream sends as one record.
  if (up_buffer.size() == 0) {
    lowest(client).expires_after(kBodyIdle);
    co_await http::async_write_header(client, sr, ec_token(ec));
    if (ec) co_return Outcome::write_failed;
  }
  auto chunk = RelayBuffer::for_body(rp.content_length());
  std::string scrubbed;
  for (;;) {
    std::string_view piece;
    if (!rp.is_done()) {
      rp.get().body().data = chunk.data();
      rp.get().body().size = chunk.size();
      lowest(up).expires_after(kBodyIdle);
      co_await http::async_read_some(up, up_buffer, rp, ec_token(ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return Outcome::read_failed;
      piece = {chunk.data(), chunk.size() - rp.get().body().size};
    }
    bool done = rp.is_done();
    if (scrubber) {
      scrubbed = scrubber->feed(piece);
      if (done) scrubbed += scrubber->finish();
      piece = scrubbed;
    }
    if (piece.empty() && !done) continue;
    out.body().data = piece.empty() ? nullptr : const_cast<char*>(piece.data());
    out.body().size = piece.size();
    out.body().more = !done;
    lowest(client).expires_after(kBodyIdle);
    co_await http::async_write(client, sr, ec_token(ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return Outcome::write_failed;
    bytes += piece.size();
    if (done) co_return Outcome::done;
  }
}

// When a byte last moved either way through a splice.
struct Activity {
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  void touch() { last = std::chrono::steady_clock::now(); }
};

template <class From, class To>
awaitable<void> pump(From& from, To& to, std::uint64_t& bytes, Activity& activity) {
  RelayBuffer chunk(kChunk);
  for (;;) {
    error_code ec;
    std::size_t n = co_await from.async_read_some(asio::buffer(chunk.data(), chunk.size()), ec_token(ec));
    if (ec) co_return;
    activity.touch();
    co_await asio::async_write(to, asio::buffer(chunk.data(), n), ec_token(ec));
    if (ec) co_return;
    bytes += n;
  }
}

// One direction of a WebSocket whose frames are filtered (scrubbed from the
// upstream, watched from the sandbox): what is already buffered, then every
// read, goes through `frames`; ends on either side's error or when the
// filter refuses (a protocol violation, a refused token).
template <class From, class To>
awaitable<void> pump_ws_frames(From& from, beast::flat_buffer& pending, To& to,
                               WsFrameScrubber& frames, std::uint64_t& bytes, Activity& activity) {
  RelayBuffer chunk(kChunk);
  std::string out;
  std::string_view in(static_cast<const char*>(pending.data().data()), pending.size());
  for (bool ended = false;;) {
    out.clear();
    bool ok = frames.feed(in, out);
    pending.consume(pending.size());
    // The sender is gone: what the filter held back (the tail of a message
    // that could have continued a secret) cannot be completed any more.
    if (ended && ok) frames.finish(out);
    error_code ec;
    if (!out.empty()) {
      co_await asio::async_write(to, asio::buffer(out), ec_token(ec));
      if (ec) co_return;
      bytes += out.size();
    }
    if (!ok || ended) co_return;
    std::size_t n = co_await from.async_read_some(asio::buffer(chunk.data(), chunk.size()),
                                                  ec_token(ec));
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      ended = true;
      in = {};
      continue;
    }
    if (ec) co_return;
    activity.touch();
    in = std::string_view(chunk.data(), n);
  }
}

// Ends a splice that has carried no byte either way for `limit`: shuts both
// sockets down, which ends both pumps. Returns when the splice sets `over`
// and cancels `tick` (or when it has fired).
template <class Client, class Up>
awaitable<void> watch_idle(Client& client, Up& up, const Activity& activity,
                           std::chrono::milliseconds limit, asio::steady_timer& tick,
                           const bool& over) {
  for (;;) {
    tick.expires_at(activity.last + limit);
    error_code ec;
    co_await tick.async_wait(ec_token(ec));
    if (over) co_return;
    if (std::chrono::steady_clock::now() - activity.last < limit) continue;
    lowest(client).socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest(up).socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest(client).socket().cancel(ec);
    lowest(up).socket().cancel(ec);
    co_return;
  }
}

// Two-way relay after a 101 Switching Protocols; returns when either side
// closes, a filter refuses what it sees, or no byte has moved either way
// for client_timeouts().websocket_idle. Bytes already buffered on either
// side are delivered first. Raw, unless filters are given (ws_frames.hpp):
// the upstream's WebSocket frames pass through `frames` (echoed secrets
// replaced), the sandbox's through `client_frames` (refused tokens stop it).
// A filter that ends the relay sends the sandbox a close frame saying why
// (given `frames`, see below).
template <class Client, class Up>
awaitable<void> splice(Client& client, beast::flat_buffer& client_buffer, Up& up,
                       beast::flat_buffer& up_buffer, std::uint64_t& bytes_in,
                       std::uint64_t& bytes_out, WsFrameScrubber* frames = nullptr,
                       WsFrameScrubber* client_frames = nullptr) {
  error_code ec;
  lowest(client).expires_never();
  lowest(up).expires_never();
  if (client_buffer.size() && !client_frames) {
    co_await asio::async_write(up, client_buffer.data(), ec_token(ec));
    client_buffer.consume(client_buffer.size());
  }
  if (up_buffer.size() && !ec && !frames) {
    co_await asio::async_write(client, up_buffer.data(), ec_token(ec));
    up_buffer.consume(up_buffer.size());
  }
  if (ec) co_return;
  auto executor = co_await asio::this_coro::executor;
  Activity activity;
  // Each helper coroutine below refers to this frame: the splice waits for
  // both to end (`joined`, cancelled by the last one) before returning.
  asio::steady_timer joined(executor, asio::steady_timer::time_point::max());
  int running = 0;
  auto done = [&] {
    if (--running == 0) joined.cancel();
  };
  ++running;
  asio::co_spawn(
      executor,
      [&]() -> awaitable<void> {
        if (client_frames)
          co_await pump_ws_frames(client, client_buffer, up, *client_frames, bytes_in, activity);
        else
          co_await pump(client, up, bytes_in, activity);
        error_code ignored;
        lowest(up).socket().shutdown(tcp::socket::shutdown_both, ignored);
        done();
      },
      asio::detached);
  asio::steady_timer tick(executor);
  bool over = false;
  if (auto limit = client_timeouts().websocket_idle; limit.count() > 0) {
    ++running;
    asio::co_spawn(
        executor,
        [&, limit]() -> awaitable<void> {
          co_await watch_idle(client, up, activity, limit, tick, over);
          done();
        },
        asio::detached);
  }
  if (frames)
    co_await pump_ws_frames(up, up_buffer, client, *frames, bytes_out, activity);
  else
    co_await pump(up, client, bytes_out, activity);
  over = true;
  tick.cancel();
  // When a filter ended the relay, the sandbox is told why in a close frame,
  // as a refused request is in a 403 body: 1008 for a refused token, 1002
  // for a protocol violation. Only with `frames`: then every byte written to
  // the sandbox came out of it, so the stream is at a frame boundary.
  if (frames && !frames->passed_close()) {
    const WsFrameScrubber* why = client_frames && !client_frames->reason().empty() ? client_frames
                                 : !frames->reason().empty()                        ? frames
                                                                                    : nullptr;
    if (why) {
      std::string close =
          why->refused() ? ws_close_frame(kWsClosePolicyViolation, "refused: " + why->reason())
                         : ws_close_frame(kWsCloseProtocolError, why->reason());
      lowest(client).expires_after(kCloseWrite);
      co_await asio::async_write(client, asio::buffer(close), ec_token(ec));
    }
  }
  lowest(client).socket().shutdown(tcp::socket::shutdown_both, ec);
  lowest(client).socket().cancel(ec);
  lowest(up).socket().cancel(ec);
  if (running > 0) co_await joined.async_wait(ec_token(ec));
}

}  // namespace sr::proxy::relay
