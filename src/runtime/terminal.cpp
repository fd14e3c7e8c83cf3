#include "runtime/terminal.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <atomic>

namespace sr::runtime {

namespace {

// Shared with the crash handler, which may only touch async-signal-safe
// state: the saved mode, its fd and the "still raw" flag.
termios g_saved{};
int g_fd = -1;
std::atomic<bool> g_raw{false};

constexpr std::array<int, 5> kFatalSignals = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
std::array<struct sigaction, kFatalSignals.size()> g_previous{};

void restore_saved() {
  if (g_raw.exchange(false)) ::tcsetattr(g_fd, TCSANOW, &g_saved);
}

void on_fatal_signal(int signo) {
  restore_saved();
  // SA_RESETHAND put the default action back: returning re-runs the faulting
  // instruction (or abort()'s re-raise), and re-raising covers kill(2).
  ::raise(signo);
}

void install_crash_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (std::size_t i = 0; i < kFatalSignals.size(); ++i) ::sigaction(kFatalSignals[i], &sa, &g_previous[i]);
}

void remove_crash_handlers() {
  for (std::size_t i = 0; i < kFatalSignals.size(); ++i) ::sigaction(kFatalSignals[i], &g_previous[i], nullptr);
}

}  // namespace

std::optional<TerminalSize> terminal_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return std::nullopt;
  return TerminalSize{ws.ws_row, ws.ws_col};
}

util::Result<RawTerminal> RawTerminal::enter(int fd) {
  if (g_raw.load()) return util::fail(util::ErrorKind::generic, "terminal is already in raw mode");
  termios saved{};
  if (::tcgetattr(fd, &saved) != 0) return util::fail_errno("tcgetattr(stdin)");
  termios raw = saved;
  ::cfmakeraw(&raw);
  g_saved = saved;
  g_fd = fd;
  install_crash_handlers();
  g_raw.store(true);
  if (::tcsetattr(fd, TCSANOW, &raw) != 0) {
    int err = errno;
    g_raw.store(false);
    remove_crash_handlers();
    return util::fail_errno("tcsetattr(stdin, raw)", err);
  }
  RawTerminal t;
  t.owner_ = true;
  return t;
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept : owner_(other.owner_) { other.owner_ = false; }

void RawTerminal::restore() {
  if (!owner_) return;
  owner_ = false;
  restore_saved();
  remove_crash_handlers();
}

}  // namespace sr::runtime
