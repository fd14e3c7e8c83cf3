// A RawStream over a plain connected socket (unix or tcp) that we own.
// Internal to sr::docker.
#pragma once

#include <string>

#include "docker/pending_bytes.hpp"
#include "docker/transport.hpp"
#include "util/unique_fd.hpp"

namespace sr::docker::detail {

class FdStream final : public RawStream {
 public:
  // pending: bytes already read past the upgrade response head.
  FdStream(util::UniqueFd fd, std::string pending) : fd_(std::move(fd)), pending_(std::move(pending)) {}

  [[nodiscard]] int fd() const override { return fd_.get(); }
  util::Result<IoResult> read(std::span<char> buf) override;
  util::Result<IoResult> write(std::span<const char> data) override;
  util::Result<void> close_write() override;

 private:
  util::UniqueFd fd_;
  PendingBytes pending_;
};

}  // namespace sr::docker::detail
