#include "proxy/tls/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace sr::proxy {

namespace tls_detail {

namespace {

using boost::system::error_code;

// The BIO under each SSL: recv/send on the stream's non-blocking socket,
// after first handing out any bytes read before the handshake. The socket's
// descriptor is looked up on every call, so a socket closed by a timeout or
// a cancel reads as EBADF rather than as some other connection's descriptor.
int bio_read(BIO* bio, char* out, std::size_t size, std::size_t* got) {
  auto* core = static_cast<Core*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (core->prefix_used < core->prefix.size()) {
    std::size_t n = std::min(size, core->prefix.size() - core->prefix_used);
    std::memcpy(out, core->prefix.data() + core->prefix_used, n);
    core->prefix_used += n;
    if (core->prefix_used == core->prefix.size()) {
      core->prefix.clear();
      core->prefix.shrink_to_fit();
      core->prefix_used = 0;
    }
    *got = n;
    return 1;
  }
  ssize_t n = ::recv(core->socket.native_handle(), out, size, 0);
  if (n > 0) {
    *got = static_cast<std::size_t>(n);
    core->drained = *got < size;
    return 1;
  }
  core->last_errno = n == 0 ? 0 : errno;
  core->drained = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    BIO_set_retry_read(bio);
  return 0;
}

int bio_write(BIO* bio, const char* in, std::size_t size, std::size_t* put) {
  auto* core = static_cast<Core*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  ssize_t n = ::send(core->socket.native_handle(), in, size, MSG_NOSIGNAL);
  if (n >= 0) {
    *put = static_cast<std::size_t>(n);
    return 1;
  }
  core->last_errno = errno;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
  return 0;
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sr-proxy-socket");
    if (m == nullptr || !BIO_meth_set_read_ex(m, bio_read) ||
        !BIO_meth_set_write_ex(m, bio_write) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
        !BIO_meth_set_create(m, bio_create))
      throw std::runtime_error("OpenSSL: cannot create the socket BIO method");
    return m;
  }();
  return method;
}

error_code ssl_error(unsigned long code) {
  // As asio::ssl does: the packed OpenSSL error in the ssl category.
  if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return boost::asio::ssl::error::stream_truncated;
  return {static_cast<int>(code), boost::asio::error::get_ssl_category()};
}

}  // namespace

Core::Core(boost::asio::ip::tcp::socket s) : socket(std::move(s)),
    waiters{Waiter(socket.get_executor()), Waiter(socket.get_executor())} {}

Core::~Core() {
  if (ssl != nullptr) SSL_free(ssl);  // frees the BIO too
}

void Core::arm(Side side) {
  auto& w = waiters[side];
  if (deadline == std::chrono::steady_clock::time_point::max() || w.armed_for <= deadline) return;
  // Re-arming cancels a later expiry; its handler then sees operation_aborted.
  w.armed_for = deadline;
  w.timer.expires_at(deadline);
  w.timer.async_wait([weak = weak_from_this(), side](error_code ec) {
    if (ec) return;
    if (auto core = weak.lock()) core->on_timer(side);
  });
}

void Core::on_timer(Side side) {
  auto& w = waiters[side];
  w.armed_for = std::chrono::steady_clock::time_point::max();
  if (!w.waiting) return;  // lapses; the next wait arms again
  if (std::chrono::steady_clock::now() < deadline) {
    arm(side);  // the deadline moved later meanwhile
    return;
  }
  // As beast::tcp_stream: the deadline ends the operations in progress.
  for (auto& other : waiters)
    if (other.waiting) other.timed_out = true;
  error_code ignored;
  socket.cancel(ignored);
}

void Core::begin_wait(Side side) {
  waiters[side].waiting = true;
  waiters[side].timed_out = false;
  arm(side);
}

bool Core::end_wait(Side side) {
  auto& w = waiters[side];
  w.waiting = false;
  bool timed_out = w.timed_out;
  w.timed_out = false;
  return timed_out;
}

void Core::set_deadline(std::chrono::steady_clock::time_point when) {
  deadline = when;
  // An earlier deadline needs an earlier expiry now; a later or no deadline
  // is noticed when the timer fires.
  for (auto side : {read_side, write_side})
    if (waiters[side].waiting) arm(side);
}

Step Core::result(int ret, std::size_t bytes) {
  if (ret > 0) return Step{Want::done, {}, bytes};
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return Step{Want::read, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return Step{Want::write, {}, 0};
    case SSL_ERROR_ZERO_RETURN:
      // close_notify received: a clean end of stream.
      return Step{Want::done, boost::asio::error::eof, 0};
    case SSL_ERROR_SYSCALL: {
      if (unsigned long code = ERR_get_error(); code != 0) return Step{Want::done, ssl_error(code), 0};
      if (last_errno == 0)
        return Step{Want::done, boost::asio::ssl::error::stream_truncated, 0};
      return Step{Want::done, error_code(last_errno, boost::system::system_category()), 0};
    }
    default: {
      unsigned long code = ERR_get_error();
      ERR_clear_error();
      if (code == 0) return Step{Want::done, boost::asio::error::fault, 0};
      return Step{Want::done, ssl_error(code), 0};
    }
  }
}

Step Core::read(void* data, std::size_t size) {
  if (size == 0) return Step{};
  ERR_clear_error();
  std::size_t got = 0;
  int ret = SSL_read_ex(ssl, data, size, &got);
  return result(ret, got);
}

Step Core::write(const void* data, std::size_t size) {
  if (size == 0) return Step{};
  ERR_clear_error();
  std::size_t put = 0;
  int ret = SSL_write_ex(ssl, data, size, &put);
  return result(ret, put);
}

Step Core::handshake() {
  ERR_clear_error();
  return result(SSL_do_handshake(ssl), 0);
}

Step Core::shutdown() {
  ERR_clear_error();
  int ret = SSL_shutdown(ssl);
  if (ret >= 0) return Step{};  // sent (the peer's close_notify is not awaited)
  Step s = result(ret, 0);
  if (s.want == Want::read) return Step{};
  return s;
}

}  // namespace tls_detail

TlsStream::TlsStream(boost::beast::tcp_stream&& plain, boost::asio::ssl::context& ctx)
    : core_(std::make_shared<tls_detail::Core>(plain.release_socket())) {
  auto& core = *core_;
  core.ssl = SSL_new(ctx.native_handle());
  BIO* bio = core.ssl ? BIO_new(tls_detail::socket_method()) : nullptr;
  if (bio == nullptr) {
    ERR_clear_error();
    throw std::bad_alloc();
  }
  BIO_set_data(bio, &core);
  SSL_set_bio(core.ssl, bio, bio);
  SSL_set_mode(core.ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                             SSL_MODE_RELEASE_BUFFERS);
  // One recv takes whatever records have arrived, not a header and then a body.
  SSL_set_read_ahead(core.ssl, 1);
  boost::system::error_code ignored;
  core.socket.native_non_blocking(true, ignored);
}

bool TlsStream::has_buffered() const {
  return SSL_has_pending(core_->ssl) == 1 || core_->prefix_used < core_->prefix.size();
}

void TlsStream::prepare_handshake(handshake_type type, boost::asio::const_buffer initial) {
  auto& core = *core_;
  core.prefix.assign(static_cast<const char*>(initial.data()), initial.size());
  core.prefix_used = 0;
  if (type == boost::asio::ssl::stream_base::server)
    SSL_set_accept_state(core.ssl);
  else
    SSL_set_connect_state(core.ssl);
}

}  // namespace sr::proxy
