#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "docker/frames.hpp"

using sr::docker::FrameDemuxer;
using sr::docker::StreamId;

namespace {

std::string frame(unsigned char stream, std::string_view payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  auto n = static_cast<std::uint32_t>(payload.size());
  out[4] = static_cast<char>(n >> 24);
  out[5] = static_cast<char>(n >> 16);
  out[6] = static_cast<char>(n >> 8);
  out[7] = static_cast<char>(n);
  out += payload;
  return out;
}

struct Collected {
  std::string out;
  std::string err;
  std::vector<StreamId> order;
};

sr::util::Result<void> feed_all(FrameDemuxer& d, std::string_view data, Collected& c) {
  return d.feed(data, [&](StreamId id, std::string_view payload) -> sr::util::Result<void> {
    (id == StreamId::stderr_stream ? c.err : c.out) += payload;
    if (c.order.empty() || c.order.back() != id) c.order.push_back(id);
    return {};
  });
}

}  // namespace

TEST_CASE("several frames in one read go to their streams in order", "[frames]") {
  FrameDemuxer d;
  Collected c;
  std::string data = frame(1, "hello ") + frame(2, "oops\n") + frame(1, "world\n");
  REQUIRE(feed_all(d, data, c));
  CHECK(c.out == "hello world\n");
  CHECK(c.err == "oops\n");
  CHECK(c.order == std::vector<StreamId>{StreamId::stdout_stream, StreamId::stderr_stream, StreamId::stdout_stream});
  CHECK(d.at_frame_boundary());
}

TEST_CASE("frames split at every byte boundary are reassembled", "[frames]") {
  std::string data = frame(1, "abc") + frame(2, "defgh") + frame(1, "") + frame(1, "i");
  for (std::size_t chunk = 1; chunk <= data.size(); ++chunk) {
    FrameDemuxer d;
    Collected c;
    for (std::size_t pos = 0; pos < data.size(); pos += chunk)
      REQUIRE(feed_all(d, std::string_view(data).substr(pos, chunk), c));
    INFO("chunk size " << chunk);
    CHECK(c.out == "abci");
    CHECK(c.err == "defgh");
    CHECK(d.at_frame_boundary());
  }
}

TEST_CASE("a header split from its payload and a partial payload", "[frames]") {
  FrameDemuxer d;
  Collected c;
  std::string data = frame(2, "0123456789");
  REQUIRE(feed_all(d, data.substr(0, 5), c));
  CHECK(c.err.empty());
  REQUIRE(feed_all(d, data.substr(5, 7), c));
  CHECK(c.err == "0123");
  CHECK_FALSE(d.at_frame_boundary());
  REQUIRE(feed_all(d, data.substr(12), c));
  CHECK(c.err == "0123456789");
  CHECK(d.at_frame_boundary());
}

TEST_CASE("large frames keep their 32-bit big-endian size", "[frames]") {
  FrameDemuxer d;
  Collected c;
  std::string payload(70000, 'x');
  REQUIRE(feed_all(d, frame(1, payload), c));
  CHECK(c.out.size() == 70000);
}

TEST_CASE("an unknown stream id is an error", "[frames]") {
  FrameDemuxer d;
  Collected c;
  auto r = feed_all(d, frame(7, "x"), c);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("unknown stream id 7") != std::string::npos);
}

TEST_CASE("a failing sink stops the demuxer with its error", "[frames]") {
  FrameDemuxer d;
  auto r = d.feed(frame(1, "x"), [](StreamId, std::string_view) -> sr::util::Result<void> {
    return sr::util::fail(sr::util::ErrorKind::io, "write: Broken pipe");
  });
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "write: Broken pipe");
}
