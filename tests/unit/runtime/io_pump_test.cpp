// The attach loop against a scripted RawStream and real pipes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <deque>
#include <string>

#include "runtime/io_pump.hpp"
#include "util/unique_fd.hpp"

using sr::docker::RawStream;
using sr::runtime::Framing;
using sr::runtime::PumpConfig;
using sr::runtime::SignalAction;
using sr::util::UniqueFd;

namespace {

struct Pipe {
  UniqueFd r, w;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    r.reset(fds[0]);
    w.reset(fds[1]);
  }
  std::string drain() {
    w.close();
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(r.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

// Always pollable (a pipe holding one byte); read() hands out the scripted
// chunks, then EOF. With hold_until_stdin_eof it answers "again" until the
// pump half-closes, as a container that prints only after reading its input.
class ScriptedStream final : public RawStream {
 public:
  std::deque<std::string> chunks;
  std::string received;
  bool write_closed = false;
  bool hold_until_stdin_eof = false;

  ScriptedStream() { REQUIRE(::write(ready_.w.get(), "x", 1) == 1); }
  [[nodiscard]] int fd() const override { return ready_.r.get(); }

  sr::util::Result<IoResult> read(std::span<char> buf) override {
    if (hold_until_stdin_eof && !write_closed) return IoResult{IoState::again, 0};
    if (chunks.empty()) return IoResult{IoState::eof, 0};
    if (!handed_out_) {
      handed_out_ = true;
      std::string c = std::move(chunks.front());
      chunks.pop_front();
      REQUIRE(c.size() <= buf.size());
      std::copy(c.begin(), c.end(), buf.begin());
      return IoResult{IoState::ok, c.size()};
    }
    handed_out_ = false;  // one chunk per readiness, like a socket
    return IoResult{IoState::again, 0};
  }
  sr::util::Result<IoResult> write(std::span<const char> data) override {
    received.append(data.data(), data.size());
    return IoResult{IoState::ok, data.size()};
  }
  sr::util::Result<void> close_write() override {
    write_closed = true;
    return {};
  }

 private:
  Pipe ready_;
  bool handed_out_ = false;
};

std::string frame(char stream, std::string_view payload) {
  std::string h(8, '\0');
  h[0] = stream;
  h[7] = static_cast<char>(payload.size());
  return h + std::string(payload);
}

}  // namespace

TEST_CASE("multiplexed output split across reads reaches stdout and stderr", "[io_pump]") {
  ScriptedStream s;
  std::string all = frame(1, "hello\n") + frame(2, "oops\n") + frame(1, "bye\n");
  s.chunks = {all.substr(0, 3), all.substr(3, 10), all.substr(13)};
  Pipe out, err;
  PumpConfig cfg;
  cfg.stream = &s;
  cfg.stdout_fd = out.w.get();
  cfg.stderr_fd = err.w.get();
  auto end = sr::runtime::pump(cfg);
  REQUIRE(end);
  CHECK(end->stopped_by_signal == 0);
  CHECK(out.drain() == "hello\nbye\n");
  CHECK(err.drain() == "oops\n");
}

TEST_CASE("a tty stream is copied raw to stdout", "[io_pump]") {
  ScriptedStream s;
  s.chunks = {std::string("\x01\x02raw\r\n", 7)};
  Pipe out, err;
  PumpConfig cfg;
  cfg.stream = &s;
  cfg.framing = Framing::raw;
  cfg.stdout_fd = out.w.get();
  cfg.stderr_fd = err.w.get();
  REQUIRE(sr::runtime::pump(cfg));
  CHECK(out.drain() == std::string("\x01\x02raw\r\n", 7));
  CHECK(err.drain().empty());
}

TEST_CASE("stdin is forwarded and its EOF half-closes the stream", "[io_pump]") {
  ScriptedStream s;
  s.hold_until_stdin_eof = true;
  s.chunks = {frame(1, "3\n")};
  Pipe in, out;
  REQUIRE(::write(in.w.get(), "abc", 3) == 3);
  in.w.close();
  PumpConfig cfg;
  cfg.stream = &s;
  cfg.stdin_fd = in.r.get();
  cfg.stdout_fd = out.w.get();
  REQUIRE(sr::runtime::pump(cfg));
  CHECK(s.received == "abc");
  CHECK(s.write_closed);
  CHECK(out.drain() == "3\n");
}

TEST_CASE("a signal the handler stops on ends the loop with that signal", "[io_pump]") {
  ScriptedStream s;
  s.hold_until_stdin_eof = true;  // never ends on its own
  Pipe sig;
  REQUIRE(::write(sig.w.get(), "s", 1) == 1);
  bool delivered = false;
  PumpConfig cfg;
  cfg.stream = &s;
  cfg.signal_fd = sig.r.get();
  cfg.next_signal = [&]() -> std::optional<int> {
    if (delivered) return std::nullopt;
    delivered = true;
    return SIGTERM;
  };
  std::vector<int> seen;
  cfg.on_signal = [&](int signo) {
    seen.push_back(signo);
    return SignalAction::stop;
  };
  auto end = sr::runtime::pump(cfg);
  REQUIRE(end);
  CHECK(end->stopped_by_signal == SIGTERM);
  CHECK(seen == std::vector<int>{SIGTERM});
}

TEST_CASE("without a stream the loop ends when the wait is done", "[io_pump]") {
  Pipe done;
  REQUIRE(::write(done.w.get(), "d", 1) == 1);
  PumpConfig cfg;
  cfg.done_fd = done.r.get();
  auto end = sr::runtime::pump(cfg);
  REQUIRE(end);
  CHECK(end->stopped_by_signal == 0);
}

TEST_CASE("the detach sequence in stdin ends the session; a broken prefix is forwarded", "[io_pump]") {
  ScriptedStream s;
  s.hold_until_stdin_eof = true;  // the container would run on
  Pipe in, out, done;
  REQUIRE(::write(in.w.get(), "a\x10" "b\x10\x10\x11" "zz", 8) == 8);
  PumpConfig cfg;
  cfg.stream = &s;
  cfg.stdin_fd = in.r.get();
  cfg.stdout_fd = out.w.get();
  cfg.done_fd = done.r.get();
  cfg.detach_sequence = "\x10\x11";
  auto end = sr::runtime::pump(cfg);
  REQUIRE(end);
  CHECK(end->detached);
  CHECK(s.received == "a\x10" "b\x10");
  CHECK_FALSE(s.write_closed);
}

TEST_CASE("--detach-keys to bytes, as moby's term.ToBytes", "[io_pump]") {
  using sr::runtime::detach_key_bytes;
  CHECK(detach_key_bytes("ctrl-p,ctrl-q").value() == "\x10\x11");
  CHECK(detach_key_bytes("a,CTRL-@,ctrl-[,ctrl-_").value() == std::string("a\0\x1b\x1f", 4));
  CHECK(detach_key_bytes("ctrl-@@@").error().message == "Unknown character: 'ctrl-@@@'");
}
