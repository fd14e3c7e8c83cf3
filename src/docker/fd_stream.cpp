#include "docker/fd_stream.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace sr::docker::detail {

util::Result<RawStream::IoResult> FdStream::read(std::span<char> buf) {
  if (!pending_.empty()) return IoResult{IoState::ok, pending_.take(buf)};
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) return IoResult{IoState::ok, static_cast<std::size_t>(n)};
    if (n == 0) return IoResult{IoState::eof, 0};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult{IoState::again, 0};
    // A reset after the container exited ends the stream like EOF does.
    if (errno == ECONNRESET) return IoResult{IoState::eof, 0};
    return util::fail_errno("reading the attach stream");
  }
}

util::Result<RawStream::IoResult> FdStream::write(std::span<const char> data) {
  for (;;) {
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return IoResult{IoState::ok, static_cast<std::size_t>(n)};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult{IoState::again, 0};
    return util::fail_errno("writing the attach stream");
  }
}

util::Result<void> FdStream::close_write() {
  if (::shutdown(fd_.get(), SHUT_WR) != 0) return util::fail_errno("shutdown(attach stream, SHUT_WR)");
  return {};
}

}  // namespace sr::docker::detail
