#include "runtime/signals.hpp"

#include <sys/signalfd.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace sr::runtime {

std::span<const int> proxied_signals() {
  // What the Docker CLI's ForwardAllSignals forwards that matters in
  // practice; job-control stops and SIGCHLD/SIGPIPE stay local.
  static constexpr std::array<int, 8> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                                  SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};
  return kSignals;
}

util::Result<SignalWatcher> SignalWatcher::block(std::span<const int> signals) {
  SignalWatcher w;
  sigemptyset(&w.blocked_);
  for (int s : signals) sigaddset(&w.blocked_, s);
  if (int rc = pthread_sigmask(SIG_BLOCK, &w.blocked_, &w.previous_); rc != 0)
    return util::fail_errno("pthread_sigmask(SIG_BLOCK)", rc);
  w.active_ = true;
  w.fd_ = util::UniqueFd(::signalfd(-1, &w.blocked_, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!w.fd_) return util::fail_errno("signalfd");
  return w;
}

SignalWatcher::SignalWatcher(SignalWatcher&& other) noexcept
    : fd_(std::move(other.fd_)), blocked_(other.blocked_), previous_(other.previous_), active_(other.active_) {
  other.active_ = false;
}

SignalWatcher::~SignalWatcher() {
  if (!active_) return;
  // Drain what we already received, so unblocking does not deliver a
  // signal the launcher has handled (or chose to ignore) a second time.
  while (next()) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

std::optional<int> SignalWatcher::next() {
  if (!fd_) return std::nullopt;
  signalfd_siginfo info{};
  if (::read(fd_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

const char* signal_name(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  static thread_local char buf[16];
  if (abbrev == nullptr) return "signal";
  std::snprintf(buf, sizeof buf, "SIG%s", abbrev);
  return buf;
}

}  // namespace sr::runtime
