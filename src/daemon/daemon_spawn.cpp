#include "daemon/daemon_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <system_error>

#include "util/unique_fd.hpp"

// Not util::CommandRunner: that runs a child to completion and collects its
// output, while the daemon must outlive this process (its own session, its
// output on the log file, detached once it serves) and be killed as a group
// when it fails to come up. Boost.Process's child gives exactly that.
namespace bp = boost::process;

namespace sr::daemon {
namespace {

// Runs in the forked child before exec; only async-signal-safe calls here.
struct DaemonSetup : bp::extend::handler {
  int null_fd;
  int log_fd;
  template <class Executor>
  void on_exec_setup(Executor&) const {
    ::setsid();
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // The CLI may have blocked or caught signals while it waits; handlers are
    // reset by exec but the mask and ignored dispositions are inherited.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
  }
};

}  // namespace

SpawnedDaemon::SpawnedDaemon(std::unique_ptr<bp::child> child) : child_(std::move(child)) {}
SpawnedDaemon::SpawnedDaemon(SpawnedDaemon&& other) noexcept
    : child_(std::move(other.child_)), detached_(other.detached_) {}

SpawnedDaemon::~SpawnedDaemon() {
  if (!child_) return;
  if (detached_) {
    child_->detach();
    return;
  }
  kill();
}

pid_t SpawnedDaemon::pid() const { return child_->id(); }

bool SpawnedDaemon::running() {
  std::error_code ec;
  return child_->running(ec);
}

int SpawnedDaemon::exit_status() const { return child_->exit_code(); }

void SpawnedDaemon::kill() {
  if (!child_) return;
  // The child is a session leader, so its pgid is its pid: this also takes
  // any helper it forked (a wrapper script's interpreter).
  ::kill(-child_->id(), SIGKILL);
  std::error_code ec;
  child_->terminate(ec);
  child_->wait(ec);
}

void SpawnedDaemon::detach() {
  detached_ = true;
  child_->detach();
}

util::Result<SpawnedDaemon> spawn_daemon(const EngineCommand& command,
                                         const std::map<std::string, std::string>& env,
                                         int log_fd) {
  util::UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null_fd) return util::fail_errno("open /dev/null");
  bp::environment child_env;  // empty: never a copy of ours
  for (const auto& [k, v] : env) child_env[k] = v;
  DaemonSetup setup;
  setup.null_fd = null_fd.get();
  setup.log_fd = log_fd;
  try {
    auto child = std::make_unique<bp::child>(bp::exe = command.exe.string(),
                                             bp::args = command.args, child_env, setup);
    return SpawnedDaemon(std::move(child));
  } catch (const std::system_error& e) {
    return util::fail(util::kind_from_errno(e.code().value()),
                      "spawning " + command.exe.string() + ": " + e.code().message());
  }
}

}  // namespace sr::daemon
