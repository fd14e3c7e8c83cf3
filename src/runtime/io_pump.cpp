#include "runtime/io_pump.hpp"

#include <poll.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <string>

#include "docker/docker_config.hpp"
#include "docker/frames.hpp"

namespace sr::runtime {

namespace {

constexpr std::size_t kChunk = 32 * 1024;

util::Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        // An inherited non-blocking stdout: wait until it drains.
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, -1);
        continue;
      }
      return util::fail_errno("writing container output to fd " + std::to_string(fd));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

class Pump {
 public:
  explicit Pump(const PumpConfig& cfg) : cfg_(cfg), stdin_open_(cfg.stdin_fd >= 0 && cfg.stream != nullptr) {}

  util::Result<PumpEnd> run() {
    bool stream_open = cfg_.stream != nullptr;
    bool done = false;
    while (stream_open || !done) {
      std::array<pollfd, 4> fds{};
      nfds_t n = 0;
      int i_stream = -1, i_stdin = -1, i_sig = -1, i_done = -1;
      if (stream_open) {
        short ev = POLLIN;
        if (!outbox_.empty()) ev |= POLLOUT;
        i_stream = add(fds, n, cfg_.stream->fd(), ev);
      }
      if (stream_open && stdin_open_ && outbox_.empty()) i_stdin = add(fds, n, cfg_.stdin_fd, POLLIN);
      if (cfg_.signal_fd >= 0) i_sig = add(fds, n, cfg_.signal_fd, POLLIN);
      if (!done && cfg_.done_fd >= 0) i_done = add(fds, n, cfg_.done_fd, POLLIN);
      if (n == 0) break;
      if (::poll(fds.data(), n, -1) < 0) {
        if (errno == EINTR) continue;
        return util::fail_errno("poll(attach)");
      }
      if (i_sig >= 0 && fds[i_sig].revents != 0) {
        while (auto signo = cfg_.next_signal ? cfg_.next_signal() : std::nullopt) {
          if (cfg_.on_signal && cfg_.on_signal(*signo) == SignalAction::stop) return PumpEnd{*signo};
        }
      }
      if (i_done >= 0 && fds[i_done].revents != 0) done = true;
      if (i_stream >= 0 && fds[i_stream].revents != 0) {
        SR_ASSIGN(bool open, read_stream());
        stream_open = open;
        if (open) SR_TRY(flush_stdin());
      }
      if (i_stdin >= 0 && fds[i_stdin].revents != 0) SR_TRY(read_stdin());
      if (detached_) return PumpEnd{0, true};
      if (cfg_.done_fd < 0 && !stream_open) break;
    }
    return PumpEnd{};
  }

 private:
  static int add(std::array<pollfd, 4>& fds, nfds_t& n, int fd, short events) {
    fds[n] = pollfd{fd, events, 0};
    return static_cast<int>(n++);
  }

  // Reads until the stream would block (TLS may buffer more than poll
  // shows); false at end of stream.
  util::Result<bool> read_stream() {
    std::array<char, kChunk> buf;
    for (;;) {
      SR_ASSIGN(auto r, cfg_.stream->read(buf));
      if (r.state == docker::RawStream::IoState::again) return true;
      if (r.state == docker::RawStream::IoState::eof) return false;
      std::string_view data(buf.data(), r.bytes);
      if (cfg_.framing == Framing::raw) {
        SR_TRY(write_all(cfg_.stdout_fd, data));
      } else {
        SR_TRY(demux_.feed(data, [&](docker::StreamId id, std::string_view payload) {
          return write_all(id == docker::StreamId::stderr_stream ? cfg_.stderr_fd : cfg_.stdout_fd, payload);
        }));
      }
    }
  }

  util::Result<void> read_stdin() {
    std::array<char, kChunk> buf;
    ssize_t n = ::read(cfg_.stdin_fd, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return {};
    if (n <= 0) {
      // EOF, or a terminal that went away (EIO): the container sees EOF.
      stdin_open_ = false;
      stdin_eof_ = true;
    } else {
      forward(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    }
    return flush_stdin();
  }

  // The escape proxy: a partial match is held in `held_` and released when
  // the next byte breaks it; a full match ends the session.
  void forward(std::string_view data) {
    const std::string& seq = cfg_.detach_sequence;
    if (seq.empty()) {
      outbox_.append(data);
      return;
    }
    for (char c : data) {
      if (c == seq[held_.size()]) {
        held_ += c;
        if (held_.size() == seq.size()) {
          detached_ = true;
          return;
        }
        continue;
      }
      outbox_ += held_;
      held_.clear();
      if (c == seq[0]) held_ += c;
      else outbox_ += c;
    }
  }

  // Input errors only end forwarding, as in the Docker CLI: the container
  // may have exited (closing its side) while output is still draining.
  util::Result<void> flush_stdin() {
    while (!outbox_.empty()) {
      auto r = cfg_.stream->write(outbox_);
      if (!r) {
        stop_input();
        return {};
      }
      if (r->state == docker::RawStream::IoState::again) return {};
      outbox_.erase(0, r->bytes);
    }
    if (stdin_eof_ && !write_closed_) {
      write_closed_ = true;
      (void)cfg_.stream->close_write();
    }
    return {};
  }

  void stop_input() {
    outbox_.clear();
    stdin_open_ = false;
    stdin_eof_ = true;
    write_closed_ = true;
  }

  const PumpConfig& cfg_;
  docker::FrameDemuxer demux_;
  std::string outbox_;
  std::string held_;  // a prefix of the detach sequence not yet forwarded
  bool detached_ = false;
  bool stdin_open_;
  bool stdin_eof_ = false;
  bool write_closed_ = false;
};

}  // namespace

util::Result<PumpEnd> pump(const PumpConfig& cfg) { return Pump(cfg).run(); }

util::Result<std::string> detach_key_bytes(std::string_view keys) {
  static constexpr std::string_view kSpecial = "@[\\]^_";  // ctrl-@ = 0, ctrl-[ = 27 ... ctrl-_ = 31
  std::string out;
  std::size_t pos = 0;
  while (pos <= keys.size()) {
    const auto comma = keys.find(',', pos);
    const std::string_view key = keys.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? keys.size() + 1 : comma + 1;
    if (key.size() == 1) {
      out += key[0];
      continue;
    }
    const bool ctrl = key.size() == 6 && (key.substr(0, 5) == "ctrl-" || key.substr(0, 5) == "CTRL-" ||
                                          key.substr(0, 5) == "Ctrl-");
    const char c = ctrl ? key[5] : '\0';
    if (ctrl && std::isalpha(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)) - 'a' + 1);
    } else if (ctrl && kSpecial.find(c) != std::string_view::npos) {
      out += static_cast<char>(c == '@' ? 0 : c - '[' + 27);
    } else {
      return util::fail(util::ErrorKind::invalid_argument, "Unknown character: '" + std::string(key) + "'");
    }
  }
  return out;
}

std::string default_detach_keys() {
  auto keys = docker::config_detach_keys();
  if (keys) return *keys;
  std::fprintf(stderr, "WARNING: Error loading config file: %s\n", keys.error().message.c_str());
  return {};
}

}  // namespace sr::runtime
