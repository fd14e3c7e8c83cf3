#include "docker/frames.hpp"

#include <algorithm>
#include <string>

namespace sr::docker {

util::Result<void> FrameDemuxer::feed(std::string_view data, const Sink& sink) {
  while (!data.empty()) {
    if (remaining_ == 0) {
      auto take = std::min(header_.size() - header_len_, data.size());
      std::copy_n(data.begin(), take, header_.begin() + header_len_);
      header_len_ += take;
      data.remove_prefix(take);
      if (header_len_ < header_.size()) return {};
      header_len_ = 0;
      if (header_[0] > 2)
        return util::fail(util::ErrorKind::api,
                          "attach stream: unknown stream id " + std::to_string(header_[0]) +
                              " in frame header (is the container using a TTY?)");
      current_ = static_cast<StreamId>(header_[0]);
      remaining_ = (std::uint32_t{header_[4]} << 24) | (std::uint32_t{header_[5]} << 16) |
                   (std::uint32_t{header_[6]} << 8) | std::uint32_t{header_[7]};
      continue;
    }
    auto take = std::min<std::size_t>(remaining_, data.size());
    SR_TRY(sink(current_, data.substr(0, take)));
    remaining_ -= static_cast<std::uint32_t>(take);
    data.remove_prefix(take);
  }
  return {};
}

}  // namespace sr::docker
