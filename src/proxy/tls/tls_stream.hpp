// TlsStream: an Asio/Beast asynchronous stream of TLS over a TCP socket in
// which OpenSSL reads and writes the socket itself (a small BIO over the
// non-blocking descriptor) and the event loop only waits for readiness.
//
// Why not asio::ssl::stream: Boost 1.74's stream keeps two 17 KiB buffers
// for the life of every connection and copies each byte twice more through a
// BIO pair. An idle MITM tunnel then costs ~68 KiB; here OpenSSL's own record
// buffers are released while idle (SSL_MODE_RELEASE_BUFFERS), reads use
// read-ahead (one recv per batch of records) and a write of several small
// buffers (a Beast head + body) goes out as one record and one send.
//
// Contract (as for Asio streams): at most one read-side operation
// (read_some, handshake) and one write-side operation (write_some, shutdown)
// pending at a time, all from the stream's single-threaded event loop. The
// handler is never invoked from inside the initiating call.
//
// Timeouts follow beast::tcp_stream: expires_after / expires_never set a
// deadline for the operations in progress and the ones started later; an
// operation still waiting at the deadline fails with beast::error::timeout.
#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace sr::proxy {

namespace tls_detail {

enum class Want { done, read, write };

struct Step {
  Want want = Want::done;
  boost::system::error_code ec;
  std::size_t bytes = 0;
};

enum Side { read_side = 0, write_side = 1 };

// The shared state of one stream; kept in a shared_ptr so that a timer that
// fires late never touches a destroyed stream.
struct Core : std::enable_shared_from_this<Core> {
  explicit Core(boost::asio::ip::tcp::socket s);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  boost::asio::ip::tcp::socket socket;
  SSL* ssl = nullptr;
  int last_errno = 0;  // of the last failed recv/send, for SSL_ERROR_SYSCALL
  // The last recv found the socket empty (EAGAIN, or fewer bytes than asked
  // for): a read then waits for readiness first instead of trying a recv
  // that would fail (the wait re-arms epoll, which reports data already
  // there at once).
  bool drained = false;
  std::string prefix;  // bytes read before the handshake (a peeked ClientHello)
  std::size_t prefix_used = 0;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  // Timers are armed lazily: a wait only arms its side's timer when it is
  // not already due at or before the deadline, and ending a wait leaves it
  // running. A timer that fires early (the deadline moved on, or nothing is
  // waiting) re-arms for the current deadline or lapses. So a request loop
  // that pushes an idle deadline forward on every request costs no timer
  // operation per request.
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    std::chrono::steady_clock::time_point armed_for = std::chrono::steady_clock::time_point::max();
    bool waiting = false;
    bool timed_out = false;
  };
  std::array<Waiter, 2> waiters;

  // Small writes are gathered here so that a head and a body leave as one
  // record (one write-side operation at a time uses it).
  static constexpr std::size_t kGather = 2048;
  std::array<char, kGather> gather;

  void begin_wait(Side side);
  // Returns true when the wait that just ended was cut by the deadline.
  bool end_wait(Side side);
  void arm(Side side);
  void on_timer(Side side);
  void set_deadline(std::chrono::steady_clock::time_point when);

  Step read(void* data, std::size_t size);
  Step write(const void* data, std::size_t size);
  Step handshake();
  Step shutdown();

 private:
  Step result(int ret, std::size_t bytes);
};

// One TLS operation: runs `Op::step` until it is done, waiting for socket
// readiness (with the deadline) whenever OpenSSL asks for it.
template <class Op>
struct Composed {
  std::shared_ptr<Core> core;
  Op op;
  Side side;
  enum class State { start, waiting, posted } state = State::start;
  Step last{};

  template <class Self>
  void operator()(Self& self, boost::system::error_code ec = {}) {
    if (state == State::posted) return finish(self, last);
    if (state == State::start && op.wait_when_drained() && core->drained &&
        SSL_has_pending(core->ssl) != 1 && core->prefix_used >= core->prefix.size())
      return wait(self, Want::read);
    if (state == State::waiting) {
      bool timed_out = core->end_wait(side);
      if (ec) {
        if (timed_out) ec = boost::beast::error::timeout;
        return finish(self, Step{Want::done, ec, 0});
      }
    }
    Step s = op.step(*core);
    if (s.want == Want::done) {
      if (state == State::start) {
        // Never complete inside the initiating call.
        last = s;
        state = State::posted;
        boost::asio::post(core->socket.get_executor(), std::move(self));
        return;
      }
      return finish(self, s);
    }
    wait(self, s.want);
  }

  template <class Self>
  void wait(Self& self, Want want) {
    state = State::waiting;
    core->begin_wait(side);
    core->socket.async_wait(want == Want::read ? boost::asio::socket_base::wait_read
                                               : boost::asio::socket_base::wait_write,
                            std::move(self));
  }

  template <class Self>
  void finish(Self& self, const Step& s) {
    if constexpr (Op::sized)
      self.complete(s.ec, s.bytes);
    else
      self.complete(s.ec);
  }
};

struct ReadOp {
  static constexpr bool sized = true;
  // A read (of at least one byte) on a drained socket waits for data first.
  bool wait_when_drained() const { return buffer.size() != 0; }
  boost::asio::mutable_buffer buffer;
  Step step(Core& c) const { return c.read(buffer.data(), buffer.size()); }
};

struct WriteOp {
  static constexpr bool wait_when_drained() { return false; }
  static constexpr bool sized = true;
  const void* data;
  std::size_t size;
  Step step(Core& c) const { return c.write(data, size); }
};

struct HandshakeOp {
  static constexpr bool wait_when_drained() { return false; }
  static constexpr bool sized = false;
  Step step(Core& c) const { return c.handshake(); }
};

struct ShutdownOp {
  static constexpr bool wait_when_drained() { return false; }
  static constexpr bool sized = false;
  Step step(Core& c) const { return c.shutdown(); }
};

}  // namespace tls_detail

class TlsStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using handshake_type = boost::asio::ssl::stream_base::handshake_type;

  // Takes over the connected socket of `plain` (whose own timeouts are
  // dropped); the SSL object gets the settings of `ctx`.
  TlsStream(boost::beast::tcp_stream&& plain, boost::asio::ssl::context& ctx);
  TlsStream(TlsStream&&) noexcept = default;
  TlsStream& operator=(TlsStream&&) noexcept = default;
  ~TlsStream() = default;

  executor_type get_executor() { return core_->socket.get_executor(); }
  SSL* native_handle() { return core_->ssl; }
  boost::asio::ip::tcp::socket& socket() { return core_->socket; }

  void expires_after(std::chrono::steady_clock::duration d) {
    core_->set_deadline(std::chrono::steady_clock::now() + d);
  }
  void expires_never() { core_->set_deadline(std::chrono::steady_clock::time_point::max()); }

  // Decrypted or undecrypted bytes held by OpenSSL (read-ahead) that the
  // socket no longer shows.
  [[nodiscard]] bool has_buffered() const;

  template <class Token>
  auto async_handshake(handshake_type type, Token&& token) {
    prepare_handshake(type, {});
    return start<void(boost::system::error_code)>(tls_detail::HandshakeOp{}, tls_detail::read_side,
                                                   std::forward<Token>(token));
  }

  // `initial`: bytes already read from the socket (the ClientHello a caller
  // peeked at), given to OpenSSL before anything else.
  template <class Token>
  auto async_handshake(handshake_type type, boost::asio::const_buffer initial, Token&& token) {
    prepare_handshake(type, initial);
    return start<void(boost::system::error_code)>(tls_detail::HandshakeOp{}, tls_detail::read_side,
                                                   std::forward<Token>(token));
  }

  // Sends close_notify; does not wait for the peer's.
  template <class Token>
  auto async_shutdown(Token&& token) {
    return start<void(boost::system::error_code)>(tls_detail::ShutdownOp{}, tls_detail::write_side,
                                                   std::forward<Token>(token));
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    boost::asio::mutable_buffer first;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (boost::asio::mutable_buffer b(*it); b.size()) {
        first = b;
        break;
      }
    }
    return start<void(boost::system::error_code, std::size_t)>(
        tls_detail::ReadOp{first}, tls_detail::read_side, std::forward<Token>(token));
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    // A first buffer too large to gather is written on its own; otherwise
    // the leading buffers that fit are copied into one record.
    auto& gather = core_->gather;
    tls_detail::WriteOp op{gather.data(), 0};
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() == 0) continue;
      if (op.size == 0 && b.size() >= gather.size()) {
        op = {b.data(), b.size()};
        break;
      }
      std::size_t n = std::min(b.size(), gather.size() - op.size);
      std::memcpy(gather.data() + op.size, b.data(), n);
      op.size += n;
      if (n < b.size()) break;  // the gather buffer is full
    }
    return start<void(boost::system::error_code, std::size_t)>(op, tls_detail::write_side,
                                                                std::forward<Token>(token));
  }

 private:
  void prepare_handshake(handshake_type type, boost::asio::const_buffer initial);

  template <class Signature, class Op, class Token>
  auto start(Op op, tls_detail::Side side, Token&& token) {
    return boost::asio::async_compose<Token, Signature>(
        tls_detail::Composed<Op>{core_, op, side}, token, core_->socket);
  }

  std::shared_ptr<tls_detail::Core> core_;
};

}  // namespace sr::proxy
