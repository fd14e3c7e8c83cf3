// What /proc says about a process: alive, start time, argv[0], environment.
//
// Contract: every query names the pid and the /proc file in its error. The
// parsing helpers are pure so they can be unit tested on captured text.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::daemon {

// True when `pid` names a process that has not exited. A zombie counts as
// exited: its parent may never reap it (the daemon outlives the CLI that
// spawned it), but it no longer does anything.
bool process_alive(pid_t pid);

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot).
// Together with the pid it identifies one process across pid recycling.
util::Result<std::uint64_t> process_start_time(pid_t pid);

// The first NUL-separated word of /proc/<pid>/cmdline.
util::Result<std::string> process_argv0(pid_t pid);

// Whether /proc/<pid>/environ holds exactly the entry "name=value".
// Another user's process yields permission_denied.
util::Result<bool> process_env_has(pid_t pid, std::string_view name, std::string_view value);

// Parses the text of /proc/<pid>/stat. The comm field (2) may itself hold
// spaces and ')' characters, so fields are counted after the LAST ')'.
util::Result<std::uint64_t> parse_stat_start_time(std::string_view stat);
// The state letter (field 3) of /proc/<pid>/stat text, or '\0' if malformed.
char parse_stat_state(std::string_view stat);

// Whether a NUL-separated environment block holds exactly "name=value".
bool environ_block_has(std::string_view block, std::string_view name, std::string_view value);

}  // namespace sr::daemon
