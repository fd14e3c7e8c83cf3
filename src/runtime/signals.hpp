// Signals the launcher handles synchronously: they are blocked in the calling
// thread (and so in every thread it creates afterwards) and read from a
// signalfd in the launcher's poll loop, so no work happens in a handler.
#pragma once

#include <signal.h>

#include <optional>
#include <span>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace sr::runtime {

// The signals `docker run --sig-proxy` forwards to the container.
std::span<const int> proxied_signals();

class SignalWatcher {
 public:
  // Blocks `signals` in the calling thread; call before creating threads.
  static util::Result<SignalWatcher> block(std::span<const int> signals);

  SignalWatcher(SignalWatcher&& other) noexcept;
  SignalWatcher& operator=(SignalWatcher&&) = delete;
  SignalWatcher(const SignalWatcher&) = delete;
  // Discards signals already received and restores the previous mask.
  ~SignalWatcher();

  // Readable when a signal is pending.
  [[nodiscard]] int fd() const { return fd_.get(); }
  // The next pending signal, without blocking.
  std::optional<int> next();

 private:
  SignalWatcher() = default;
  util::UniqueFd fd_;
  sigset_t blocked_{};
  sigset_t previous_{};
  bool active_ = false;
};

// "SIGINT" style name, for messages.
const char* signal_name(int signo);

}  // namespace sr::runtime
