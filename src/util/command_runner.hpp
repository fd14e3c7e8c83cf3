// Running a child process to completion: argv, environment and stdin in,
// exit status, stdout and stderr out. The seam every short-lived child of
// the project goes through (iptables, bws, gpgv, docker credential helpers),
// so tests can put a recording fake in its place.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sr::util {

struct Command {
  std::vector<std::string> argv{};  // argv[0] is searched on our PATH unless it holds a '/'
  // nullopt: the child inherits our environment; otherwise exactly these
  // variables (secrets go here, never into argv, which `ps` shows).
  std::optional<std::map<std::string, std::string>> env{};
  std::optional<std::string> input{};  // written to stdin, then closed; nullopt: /dev/null
  std::chrono::milliseconds timeout{0};  // 0: none; on expiry the child is killed (SIGKILL)
};

struct CommandResult {
  int exit_code = -1;  // the exit status; -1 when killed by a signal
  int signal = 0;      // the signal that killed it, 0 when it exited
  bool timed_out = false;
  std::string out;
  std::string err;

  [[nodiscard]] bool ok() const { return exit_code == 0; }
  // "exit status 3", "killed by signal 9", "timed out after the limit".
  [[nodiscard]] std::string status_text() const;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Fails only when the child could not be started (not_found when argv[0]
  // is not on PATH); a child that exits non-zero is a result, not an error.
  virtual Result<CommandResult> run(const Command& command) = 0;
};

// The real runner (posix_spawnp). The child starts with the default signal
// mask and dispositions, whatever the caller blocked or ignored.
CommandRunner& system_command_runner();

// The path of `program` in our PATH's directories (the first executable
// regular file), nullopt when there is none.
std::optional<std::string> find_program(std::string_view program);

// Our environment's values of `names` (those that are set), for a child that
// must not see the rest.
std::map<std::string, std::string> environment_subset(std::initializer_list<const char*> names);

}  // namespace sr::util
