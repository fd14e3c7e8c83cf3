#include "docker/hijack.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <sstream>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "docker/pending_bytes.hpp"

namespace sr::docker::detail {

namespace {

namespace http = boost::beast::http;

constexpr std::size_t kMaxHead = 64 * 1024;

class CurlRawStream final : public RawStream {
 public:
  CurlRawStream(CurlEasy h, int fd, std::string pending)
      : h_(std::move(h)), fd_(fd), pending_(std::move(pending)) {}

  [[nodiscard]] int fd() const override { return fd_; }

  util::Result<IoResult> read(std::span<char> buf) override {
    if (!pending_.empty()) return IoResult{IoState::ok, pending_.take(buf)};
    size_t n = 0;
    CURLcode rc = curl().easy_recv(h_.get(), buf.data(), buf.size(), &n);
    if (rc == CURLE_AGAIN) return IoResult{IoState::again, 0};
    if (rc != CURLE_OK)
      return util::fail(util::ErrorKind::io, std::string("reading the attach stream: ") + curl().easy_strerror(rc));
    return IoResult{n == 0 ? IoState::eof : IoState::ok, n};
  }

  util::Result<IoResult> write(std::span<const char> data) override {
    size_t n = 0;
    CURLcode rc = curl().easy_send(h_.get(), data.data(), data.size(), &n);
    if (rc == CURLE_AGAIN) return IoResult{IoState::again, 0};
    if (rc != CURLE_OK)
      return util::fail(util::ErrorKind::io, std::string("writing the attach stream: ") + curl().easy_strerror(rc));
    return IoResult{IoState::ok, n};
  }

  util::Result<void> close_write() override {
    // Half-close so the container sees EOF on stdin while we keep reading.
    if (::shutdown(fd_, SHUT_WR) != 0) return util::fail_errno("shutdown(attach stream, SHUT_WR)");
    return {};
  }

 private:
  CurlEasy h_;
  int fd_;
  PendingBytes pending_;
};

util::Result<void> wait_fd(int fd, short events) {
  pollfd p{fd, events, 0};
  while (::poll(&p, 1, -1) < 0) {
    if (errno != EINTR) return util::fail_errno("poll(attach stream)");
  }
  return {};
}

util::Result<void> send_all(CURL* h, int fd, std::string_view data) {
  while (!data.empty()) {
    size_t n = 0;
    CURLcode rc = curl().easy_send(h, data.data(), data.size(), &n);
    if (rc == CURLE_AGAIN) {
      SR_TRY(wait_fd(fd, POLLOUT));
      continue;
    }
    if (rc != CURLE_OK)
      return util::fail(util::ErrorKind::io, std::string("sending attach request: ") + curl().easy_strerror(rc));
    data.remove_prefix(n);
  }
  return {};
}

// Reads more bytes into buf; false at end of stream.
util::Result<bool> recv_some(CURL* h, int fd, std::string& buf) {
  char chunk[16 * 1024];
  for (;;) {
    size_t n = 0;
    CURLcode rc = curl().easy_recv(h, chunk, sizeof chunk, &n);
    if (rc == CURLE_AGAIN) {
      SR_TRY(wait_fd(fd, POLLIN));
      continue;
    }
    if (rc != CURLE_OK)
      return util::fail(util::ErrorKind::io, std::string("reading attach response: ") + curl().easy_strerror(rc));
    buf.append(chunk, n);
    return n > 0;
  }
}

std::string host_header(const Endpoint& ep) {
  auto start = ep.base_url.find("://");
  return start == std::string::npos ? "localhost" : ep.base_url.substr(start + 3);
}

}  // namespace

util::Result<Transport::Hijacked> hijack_connection(CurlEasy handle, const Endpoint& ep, const Request& req) {
  CURL* h = handle.get();
  char errbuf[CURL_ERROR_SIZE];
  apply_endpoint(h, ep, errbuf);
  curl().easy_setopt(h, CURLOPT_URL, ep.base_url.c_str());
  curl().easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  if (CURLcode rc = curl().easy_perform(h); rc != CURLE_OK)
    return std::unexpected(transfer_error(h, rc, errbuf, ep));
  curl_socket_t sock = CURL_SOCKET_BAD;
  curl().easy_getinfo(h, CURLINFO_ACTIVESOCKET, &sock);
  if (sock == CURL_SOCKET_BAD) return util::fail(util::ErrorKind::io, "attach: no socket after connect");
  int fd = static_cast<int>(sock);

  http::request<http::string_body> upgrade;
  upgrade.method_string(req.method);
  upgrade.target(req.target);
  upgrade.version(11);
  upgrade.set(http::field::host, host_header(ep));
  upgrade.set(http::field::user_agent, "sandbox-run");
  upgrade.set(http::field::connection, "Upgrade");
  upgrade.set(http::field::upgrade, "tcp");
  if (!req.body.empty()) upgrade.set(http::field::content_type, "application/json");
  upgrade.body() = req.body;
  upgrade.prepare_payload();
  std::ostringstream wire;
  wire << upgrade;
  const std::string head = std::move(wire).str();
  SR_TRY(send_all(h, fd, head));

  // The response head (and an error's body) through Beast's parser; for a
  // 101 whatever follows the head is the stream's first bytes.
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHead);
  parser.eager(true);
  std::string buf;
  std::size_t used = 0;
  bool closed = false;
  for (;;) {
    boost::system::error_code ec;
    if (used < buf.size()) {
      used += parser.put(boost::asio::buffer(buf.data() + used, buf.size() - used), ec);
      if (ec && ec != http::error::need_more)
        return util::fail(util::ErrorKind::api, "attach: malformed response from the daemon: " + ec.message());
    }
    if (parser.is_header_done() && (parser.get().result_int() == 101 || parser.is_done())) break;
    if (closed) {
      if (!parser.is_header_done())
        return util::fail(util::ErrorKind::api, "attach: connection closed before the response head");
      break;  // a truncated error body: keep what arrived
    }
    SR_ASSIGN(bool more, recv_some(h, fd, buf));
    closed = !more;
    if (closed && parser.is_header_done()) parser.put_eof(ec);  // a body that ends with the connection
  }
  Transport::Hijacked out;
  out.status = parser.get().result_int();
  if (out.status == 101) {
    out.stream = std::make_unique<CurlRawStream>(std::move(handle), fd, buf.substr(used));
    return out;
  }
  out.body = parser.get().body();
  return out;
}

}  // namespace sr::docker::detail
