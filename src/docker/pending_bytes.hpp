// Bytes that arrived past an upgrade response head: they belong to the raw
// stream and are handed out before anything is read from the socket again.
// Internal to sr::docker (shared by the plain and the libcurl attach streams).
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

namespace sr::docker::detail {

class PendingBytes {
 public:
  PendingBytes() = default;
  explicit PendingBytes(std::string bytes) : bytes_(std::move(bytes)) {}

  [[nodiscard]] bool empty() const { return pos_ == bytes_.size(); }

  // Copies as much as fits into `out`; the storage is released once drained.
  std::size_t take(std::span<char> out) {
    std::size_t n = std::min(out.size(), bytes_.size() - pos_);
    std::copy_n(bytes_.data() + pos_, n, out.data());
    pos_ += n;
    if (pos_ == bytes_.size()) {
      std::string().swap(bytes_);
      pos_ = 0;
    }
    return n;
  }

 private:
  std::string bytes_;
  std::size_t pos_ = 0;
};

}  // namespace sr::docker::detail
