#include "util/fd_io.hpp"

#include <unistd.h>

#include <cerrno>

namespace sr::util {

Result<std::string> read_to_end(int fd, std::string_view name, std::size_t max_bytes) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read(" + std::string(name) + ")");
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes)
      return fail(ErrorKind::invalid_argument,
                  std::string(name) + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
}

Result<void> write_all(int fd, std::string_view data, std::string_view name) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write(" + std::string(name) + ")");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace sr::util
