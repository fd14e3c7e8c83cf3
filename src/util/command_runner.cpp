#include "util/command_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "util/unique_fd.hpp"

extern char** environ;

namespace sr::util {
namespace {

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// posix_spawn's C structures, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    // Blocked signals and ignored dispositions survive exec: a caller that
    // ignores SIGPIPE or blocks SIGINT while it waits must not pass that on.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Writes to the child's stdin without a SIGPIPE when it exits unread: the
// signal is blocked for this thread only and a pending one is consumed.
void write_input(int fd, std::string_view data) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  timespec zero{};
  while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// Reads stdout and stderr together (one of them filling its pipe must not
// stall the other) until both close or the deadline passes.
bool drain(int out_fd, int err_fd, CommandResult& r, std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  char buf[8192];
  while (open > 0) {
    int wait_ms = -1;
    if (timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0) return false;
      wait_ms = static_cast<int>(left);
    }
    int n = ::poll(fds, 2, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return true;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        --open;
        continue;
      }
      sinks[i]->append(buf, static_cast<std::size_t>(got));
    }
  }
  return true;
}

void reap(pid_t pid, CommandResult& r) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
}

class SystemRunner final : public CommandRunner {
 public:
  Result<CommandResult> run(const Command& command) override {
    if (command.argv.empty()) return fail(ErrorKind::invalid_argument, "running a command: empty argv");
    const std::string& program = command.argv.front();
    SR_ASSIGN(Pipe in, make_pipe());
    SR_ASSIGN(Pipe out, make_pipe());
    SR_ASSIGN(Pipe err, make_pipe());
    SpawnSetup setup;
    if (command.input)
      posix_spawn_file_actions_adddup2(&setup.actions, in.read.get(), STDIN_FILENO);
    else
      posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, out.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, err.write.get(), STDERR_FILENO);

    std::vector<char*> argv;
    for (const auto& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_text;
    std::vector<char*> envp;
    if (command.env) {
      for (const auto& [k, v] : *command.env) env_text.push_back(k + "=" + v);
      for (auto& e : env_text) envp.push_back(e.data());
      envp.push_back(nullptr);
    }
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(),
                            command.env ? envp.data() : environ);
    if (rc == ENOENT) return fail(ErrorKind::not_found, program + " not found on PATH");
    if (rc != 0) return fail_errno("running " + program, rc);
    in.read.reset();
    out.write.reset();
    err.write.reset();

    CommandResult result;
    if (command.input) write_input(in.write.get(), *command.input);
    in.write.reset();
    if (!drain(out.read.get(), err.read.get(), result, command.timeout)) {
      ::kill(pid, SIGKILL);
      result.timed_out = true;
    }
    reap(pid, result);
    return result;
  }
};

}  // namespace

std::string CommandResult::status_text() const {
  if (timed_out) return "timed out";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit status " + std::to_string(exit_code);
}

CommandRunner& system_command_runner() {
  static SystemRunner runner;
  return runner;
}

std::optional<std::string> find_program(std::string_view program) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "";
  while (true) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + std::string(program);
    struct stat st{};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    dirs.remove_prefix(colon + 1);
  }
}

std::map<std::string, std::string> environment_subset(std::initializer_list<const char*> names) {
  std::map<std::string, std::string> out;
  for (const char* name : names)
    if (const char* v = std::getenv(name)) out[name] = v;
  return out;
}

}  // namespace sr::util
