// The attach loop of `docker run`: copies the container's output to our
// stdout/stderr (demultiplexed without a TTY), our stdin to the container
// (half-closing on EOF), and hands received signals to the launcher, all
// from one poll(2) loop on the calling thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "docker/transport.hpp"
#include "util/error.hpp"

namespace sr::runtime {

enum class Framing { raw, multiplexed };

enum class SignalAction { keep_going, stop };

struct PumpConfig {
  docker::RawStream* stream = nullptr;  // null when nothing is attached
  Framing framing = Framing::multiplexed;
  int stdin_fd = -1;  // forwarded to the stream when >= 0
  int stdout_fd = 1;
  int stderr_fd = 2;
  int signal_fd = -1;  // SignalWatcher::fd(), or -1
  int done_fd = -1;    // the wait's ready fd: the loop ends when it is readable and the stream has closed
  std::function<SignalAction(int signo)> on_signal;
  std::function<std::optional<int>()> next_signal;  // reads signal_fd
  // The detach key sequence looked for in stdin (with a TTY, as the Docker
  // CLI's escape proxy does); empty for none. Bytes that start it are held
  // back until they turn out not to be it.
  std::string detach_sequence;
};

struct PumpEnd {
  int stopped_by_signal = 0;  // the signal that stopped the loop, 0 when it ran to the end
  bool detached = false;      // stdin carried the detach sequence: the container runs on
};

// --detach-keys "ctrl-p,ctrl-q" / "a,ctrl-@" to the bytes (moby term.ToBytes).
util::Result<std::string> detach_key_bytes(std::string_view keys);

// The default for --detach-keys, as the Docker CLI's: config.json's detachKeys
// ($DOCKER_CONFIG, else ~/.docker), empty when unset (the daemon's
// ctrl-p,ctrl-q). A config.json that cannot be read is a warning on stderr and
// no default, as the CLI treats a config file it cannot load.
std::string default_detach_keys();

util::Result<PumpEnd> pump(const PumpConfig& cfg);

}  // namespace sr::runtime
