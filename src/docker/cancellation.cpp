#include <sys/socket.h>

#include "docker/transport.hpp"

namespace sr::docker {

bool Cancellation::arm(int fd) {
  std::lock_guard lock(mu_);
  if (cancelled_) return false;
  fd_ = fd;
  return true;
}

void Cancellation::disarm() {
  std::lock_guard lock(mu_);
  fd_ = -1;
}

void Cancellation::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  // shutdown() (not close()) wakes the transfer blocked in poll on this
  // socket while the socket itself stays owned by libcurl.
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

bool Cancellation::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

}  // namespace sr::docker
