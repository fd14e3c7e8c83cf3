// The local terminal for `-t`: raw mode entered once and restored exactly
// once, on the normal path (restore() or the destructor) or from a fatal
// signal handler (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) if the launcher
// crashes while the terminal is raw.
#pragma once

#include <termios.h>

#include <optional>

#include "util/error.hpp"

namespace sr::runtime {

struct TerminalSize {
  unsigned short rows = 0;
  unsigned short cols = 0;
};

// The size of the terminal on fd, if fd is a terminal with a known size.
std::optional<TerminalSize> terminal_size(int fd);

class RawTerminal {
 public:
  // Puts the terminal on fd in raw mode (cfmakeraw, as the Docker CLI's
  // term.MakeRaw). Only one RawTerminal may be active per process.
  static util::Result<RawTerminal> enter(int fd);

  RawTerminal(RawTerminal&& other) noexcept;
  RawTerminal& operator=(RawTerminal&&) = delete;
  RawTerminal(const RawTerminal&) = delete;
  ~RawTerminal() { restore(); }

  // Restores the saved mode; later calls (and the crash handler) do nothing.
  void restore();

 private:
  RawTerminal() = default;
  bool owner_ = false;
};

}  // namespace sr::runtime
