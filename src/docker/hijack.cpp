#include "docker/hijack.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace sr::docker::detail {

namespace {

constexpr std::size_t kMaxHead = 64 * 1024;

class CurlRawStream final : public RawStream {
 public:
  CurlRawStream(CurlEasy h, int fd, std::string pending)
      : h_(std::move(h)), fd_(fd), pending_(std::move(pending)) {}

  [[nodiscard]] int fd() const override { return fd_; }

  util::Result<IoResult> read(std::span<char> buf) override {
    if (!pending_.empty()) {
      std::size_t n = std::min(buf.size(), pending_.size() - pending_pos_);
      std::copy_n(pending_.data() + pending_pos_, n, buf.data());
      pending_pos_ += n;
      if (pending_pos_ == pending_.size()) {
        pending_.clear();
        pending_pos_ = 0;
      }
      return IoResult{IoState::ok, n};
    }
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
  std::string pending_;
  std::size_t pending_pos_ = 0;
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

long parse_status_line(std::string_view head) {
  if (!head.starts_with("HTTP/")) return 0;
  auto sp = head.find(' ');
  if (sp == std::string_view::npos || head.size() < sp + 4) return 0;
  long status = 0;
  auto [p, ec] = std::from_chars(head.data() + sp + 1, head.data() + sp + 4, status);
  return ec == std::errc{} && p == head.data() + sp + 4 ? status : 0;
}

long long content_length(std::string_view head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  auto pos = lower.find("\r\ncontent-length:");
  if (pos == std::string::npos) return -1;
  pos += 17;
  while (pos < lower.size() && lower[pos] == ' ') ++pos;
  long long value = -1;
  std::from_chars(lower.data() + pos, lower.data() + lower.size(), value);
  return value;
}

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

  std::string head = req.method + " " + req.target + " HTTP/1.1\r\nHost: " + host_header(ep) +
                     "\r\nUser-Agent: sandbox-run\r\nContent-Length: " + std::to_string(req.body.size()) +
                     "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n" + req.body;
  SR_TRY(send_all(h, fd, head));

  std::string buf;
  std::size_t end = std::string::npos;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > kMaxHead) return util::fail(util::ErrorKind::api, "attach: response head too large");
    SR_ASSIGN(bool more, recv_some(h, fd, buf));
    if (!more) return util::fail(util::ErrorKind::api, "attach: connection closed before the response head");
  }
  std::string_view response_head(buf.data(), end + 2);
  Transport::Hijacked out;
  out.status = parse_status_line(response_head);
  if (out.status == 0) return util::fail(util::ErrorKind::api, "attach: malformed response status line");
  std::string rest = buf.substr(end + 4);
  if (out.status == 101) {
    out.stream = std::make_unique<CurlRawStream>(std::move(handle), fd, std::move(rest));
    return out;
  }
  // An error: read its body when the length is known; otherwise take what
  // has arrived (the daemon sends small JSON errors in one piece).
  long long length = content_length(response_head);
  while (length >= 0 && static_cast<long long>(rest.size()) < length) {
    SR_ASSIGN(bool more, recv_some(h, fd, rest));
    if (!more) break;
  }
  out.body = std::move(rest);
  return out;
}

}  // namespace sr::docker::detail
