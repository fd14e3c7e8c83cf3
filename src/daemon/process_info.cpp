#include "daemon/process_info.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "util/fd_io.hpp"
#include "util/unique_fd.hpp"

namespace sr::daemon {
namespace {

std::string proc_path(pid_t pid, std::string_view file) {
  return "/proc/" + std::to_string(pid) + "/" + std::string(file);
}

util::Result<std::string> read_proc_file(pid_t pid, std::string_view file) {
  const std::string path = proc_path(pid, file);
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return util::fail_errno("open " + path);
  // environ and cmdline are bounded by ARG_MAX; the cap only guards the read.
  return util::read_to_end(fd.get(), path, std::size_t{1} << 22);
}

// The text after the last ')' of a stat line: " S ppid pgrp ...".
std::string_view after_comm(std::string_view stat) {
  auto close = stat.rfind(')');
  if (close == std::string_view::npos) return {};
  return stat.substr(close + 1);
}

}  // namespace

util::Result<std::uint64_t> parse_stat_start_time(std::string_view stat) {
  std::string_view rest = after_comm(stat);
  // rest starts at field 3; field 22 is the 20th space-separated word of rest.
  int field = 2;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    std::size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j == i) break;
    if (++field == 22) {
      std::uint64_t v = 0;
      auto [p, ec] = std::from_chars(rest.data() + i, rest.data() + j, v);
      if (ec != std::errc() || p != rest.data() + j) break;
      return v;
    }
    i = j;
  }
  return util::fail(util::ErrorKind::invalid_argument, "malformed /proc stat line: no start time field");
}

char parse_stat_state(std::string_view stat) {
  std::string_view rest = after_comm(stat);
  for (char c : rest) {
    if (c != ' ') return c;
  }
  return '\0';
}

bool environ_block_has(std::string_view block, std::string_view name, std::string_view value) {
  std::string want(name);
  want += '=';
  want += value;
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t end = block.find('\0', pos);
    if (end == std::string_view::npos) end = block.size();
    if (block.substr(pos, end - pos) == want) return true;
    pos = end + 1;
  }
  return false;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  auto stat = read_proc_file(pid, "stat");
  if (!stat) return false;  // vanished between the two checks
  char state = parse_stat_state(*stat);
  return state != 'Z' && state != 'X' && state != '\0';
}

util::Result<std::uint64_t> process_start_time(pid_t pid) {
  SR_ASSIGN(std::string stat, read_proc_file(pid, "stat"));
  return util::with_context(parse_stat_start_time(stat), proc_path(pid, "stat"));
}

util::Result<std::string> process_argv0(pid_t pid) {
  SR_ASSIGN(std::string cmdline, read_proc_file(pid, "cmdline"));
  return cmdline.substr(0, cmdline.find('\0'));
}

util::Result<bool> process_env_has(pid_t pid, std::string_view name, std::string_view value) {
  SR_ASSIGN(std::string block, read_proc_file(pid, "environ"));
  return environ_block_has(block, name, value);
}

}  // namespace sr::daemon
