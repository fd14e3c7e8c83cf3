// Demultiplexer for the attach stream of a container without a TTY.
//
// The daemon frames each chunk with an 8-byte header: stream id (0 stdin,
// 1 stdout, 2 stderr), three zero bytes, a big-endian uint32 payload size.
// https://docs.docker.com/engine/api/v1.43/#tag/Container/operation/ContainerAttach
// Frames may be split across reads and several may share one read; payload
// pieces are delivered as they arrive, without buffering whole frames.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "util/error.hpp"

namespace sr::docker {

enum class StreamId : std::uint8_t { stdin_stream = 0, stdout_stream = 1, stderr_stream = 2 };

class FrameDemuxer {
 public:
  using Sink = std::function<util::Result<void>(StreamId, std::string_view payload)>;

  // Feeds received bytes; calls sink for each payload piece in order. Fails on
  // an unknown stream id or when sink fails.
  util::Result<void> feed(std::string_view data, const Sink& sink);

  // True between frames (a clean end of stream).
  [[nodiscard]] bool at_frame_boundary() const { return header_len_ == 0 && remaining_ == 0; }

 private:
  std::array<unsigned char, 8> header_{};
  std::size_t header_len_ = 0;
  std::uint32_t remaining_ = 0;
  StreamId current_ = StreamId::stdout_stream;
};

}  // namespace sr::docker
