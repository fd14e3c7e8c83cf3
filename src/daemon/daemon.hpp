// Starting and stopping the egress daemon.
//
// Contract:
// - start: refuses when egress is disabled or not set up; returns
//   already_running when our daemon serves; serialises concurrent starts with
//   a lock in the state dir (a loser gets ErrorKind::conflict "another start is
//   in progress"); cleans a stale pidfile; spawns the engine in its own session
//   with the allowlisted environment and a fresh nonce; writes the pidfile
//   right after spawn; succeeds only once the tunnel listener, owned by the
//   child, accepts TCP. On any failure (early exit, timeout, interruption) the
//   child is killed and the pidfile and nonce are removed; the error carries the
//   last 20 lines the engine logged.
// - credentials: each mapped credential comes from the caller's environment
//   (a non-empty exported value wins), else from the env file (start
//   --env-file, or proxy.env_file recorded by setup --env-file), or, with
//   credential_source: bitwarden, from `bws`. An env file that is missing, a
//   symlink, not the caller's or open to group/others refuses the start.
// - stop: signals only a process proven to be ours (nonce), SIGTERM then, after
//   5 s, SIGKILL if its start time is unchanged; removes pidfile and nonce.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "util/error.hpp"

namespace sr::daemon {

struct StartOptions {
  std::chrono::milliseconds ready_timeout{5000};
  std::chrono::milliseconds poll_interval{100};
  // Polled while waiting for readiness; true aborts the start (Ctrl-C).
  bool (*interrupted)() = nullptr;
  // `start --env-file FILE`: read mapped credentials from FILE instead of the
  // one setup recorded (proxy.env_file) for this start only.
  std::optional<std::filesystem::path> env_file;
};

enum class StartStatus { started, already_running };

struct StartOutcome {
  StartStatus status = StartStatus::started;
  pid_t pid = 0;
  std::string tunnel_address;
  std::vector<std::string> warnings;  // stale pidfile removed, missing credentials, ...
  std::string credentials_from;       // where mapped credentials were read ("the environment", ...)
};

util::Result<StartOutcome> start_daemon(const egress::Paths& paths, const egress::Config& config,
                                        const StartOptions& options = {});

// The env-file checks of start_daemon alone (missing, symlink, owner, mode),
// so that `restart` can refuse before it stops a running daemon.
util::Result<void> check_credential_file(const egress::Paths& paths, const egress::Config& config,
                                         const StartOptions& options = {});

enum class StopStatus { stopped, killed, not_running, stale_removed };

struct StopOutcome {
  StopStatus status = StopStatus::not_running;
  pid_t pid = 0;
  std::string detail;
};

struct StopOptions {
  std::chrono::milliseconds term_timeout{5000};
};

util::Result<StopOutcome> stop_daemon(const egress::Paths& paths, const egress::Config& config,
                                      const StopOptions& options = {});

// The lock file that serialises start/stop.
inline std::filesystem::path daemon_lock_path(const egress::Paths& paths) {
  return paths.state_dir() / "daemon.lock";
}

}  // namespace sr::daemon
