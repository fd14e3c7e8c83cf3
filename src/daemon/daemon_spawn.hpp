// Spawning the engine process detached from the CLI (Boost.Process v1).
//
// Contract: the child runs in a new session (setsid: its own process group,
// no controlling terminal, so a Ctrl-C at the terminal never reaches it),
// with exactly `env` as its environment, stdin on /dev/null and stdout/stderr
// on `log_fd`. The caller closes its copy of `log_fd` after spawn. A
// SpawnedDaemon that is neither detached nor killed is killed (with its
// process group) and reaped by its destructor, so an error path cannot leak it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace boost::process {
class child;
}

namespace sr::daemon {

struct EngineCommand {
  std::filesystem::path exe;
  std::vector<std::string> args;
};

class SpawnedDaemon {
 public:
  explicit SpawnedDaemon(std::unique_ptr<boost::process::child> child);
  SpawnedDaemon(SpawnedDaemon&&) noexcept;
  SpawnedDaemon& operator=(SpawnedDaemon&&) = delete;
  ~SpawnedDaemon();

  [[nodiscard]] pid_t pid() const;
  // Reaps the child if it has exited.
  bool running();
  // Exit status after running() returned false: the code, or 128+signal.
  [[nodiscard]] int exit_status() const;
  // SIGKILL to the child's process group, then reap.
  void kill();
  // Leaves the child running when this object is destroyed.
  void detach();

 private:
  std::unique_ptr<boost::process::child> child_;
  bool detached_ = false;
};

util::Result<SpawnedDaemon> spawn_daemon(const EngineCommand& command,
                                         const std::map<std::string, std::string>& env,
                                         int log_fd);

}  // namespace sr::daemon
