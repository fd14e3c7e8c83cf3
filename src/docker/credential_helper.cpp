// The real credential helper seam: `docker-credential-<name> get` as a child.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "docker/registry_auth.hpp"
#include "util/unique_fd.hpp"

extern char** environ;

namespace sr::docker {

namespace {

// What docker-credential-helpers print (exit 1) when they hold nothing for a server.
constexpr std::string_view kNotFound = "credentials not found in native keychain";

struct Pipe {
  util::UniqueFd read, write;
};

util::Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return util::fail_errno("pipe");
  return Pipe{util::UniqueFd(fds[0]), util::UniqueFd(fds[1])};
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

util::Result<std::optional<std::string>> run_credential_helper(std::string_view helper, std::string_view server) {
  const std::string program = "docker-credential-" + std::string(helper);
  auto what = [&] { return program + " get"; };
  SR_ASSIGN(Pipe in, make_pipe());
  SR_ASSIGN(Pipe out, make_pipe());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string arg0 = program, arg1 = "get";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return util::fail_errno("running " + what() + " (is it on PATH?)", rc);
  in.read.reset();
  out.write.reset();

  // A helper that exits without reading stdin must not kill us with SIGPIPE.
  struct sigaction ignore{}, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  (void)!::write(in.write.get(), server.data(), server.size());
  ::sigaction(SIGPIPE, &old, nullptr);
  in.write.reset();

  std::string output;
  char buf[4096];
  for (ssize_t n; (n = ::read(out.read.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return output;
  if (trim(output) == kNotFound) return std::nullopt;
  // Its output is not quoted: a broken helper may print what it holds.
  return util::fail(util::ErrorKind::generic,
                    what() + " failed (" +
                        (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                           : std::string("killed by a signal")) +
                        ")");
}

}  // namespace sr::docker
