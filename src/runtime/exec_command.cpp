// The exec operation: checks (ownership, egress), then the exec API with the
// launcher's I/O pump, raw terminal and signal watcher.
#include "runtime/exec_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "docker/client.hpp"
#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "runtime/egress_launch.hpp"
#include "runtime/egress_plan.hpp"
#include "runtime/io_pump.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/signals.hpp"
#include "runtime/terminal.hpp"
#include "util/exit_status.hpp"

namespace sr::runtime {

namespace {

constexpr int kExitDaemonError = 1;  // the Docker CLI's status for a daemon's refusal

int own_failure(const util::Error& e, Diagnostics& diag) {
  diag.error(e);
  return util::kExitLauncher;
}

std::vector<std::string> string_list(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// Whether the file at path was modified after `created` (the daemon's
// RFC 3339 "Created" of a container); false when either is unknown.
bool ca_newer_than(const std::filesystem::path& path, const std::string& created) {
  std::tm tm{};
  if (created.size() < 19 || ::strptime(created.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr)
    return false;
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return false;
  return st.st_mtime > ::timegm(&tm);
}

// A sandbox created with egress runs only while its egress setup is still
// the one it was created for: its tokens and CA are baked into its env.
util::Result<void> check_egress_current(const nlohmann::json& info, const std::string& name) {
  const nlohmann::json container = info.value("Config", nlohmann::json::object());
  const nlohmann::json labels = container.value("Labels", nlohmann::json::object());
  auto it = labels.is_object() ? labels.find(std::string(kFingerprintLabel)) : labels.end();
  if (it == labels.end() || !it->is_string()) return {};
  const auto paths = egress::Paths::from_environment();
  SR_ASSIGN(auto config, egress::load_config(paths.config()));
  auto current = current_egress_fingerprint(paths, config, string_list(container.value("Env", nlohmann::json::array())));
  if (!current)
    return std::unexpected(std::move(current.error()).context("refusing to exec into sandbox " + name));
  // The fingerprint names the CA's path, not its content: a CA rotated in
  // place shows as a ca.crt newer than the sandbox.
  if (ca_newer_than(paths.ca_cert(), info.value("Created", std::string())))
    return util::fail(util::ErrorKind::security,
                      "refusing to exec into sandbox " + name +
                          ": the egress CA was rotated after it was created, so it no longer trusts the proxy; "
                          "fix: recreate it (`sandbox-run rm -f " + name + "`, then start it again)");
  if (*current != it->get<std::string>())
    return util::fail(util::ErrorKind::security,
                      "refusing to exec into sandbox " + name +
                          ": the egress setup changed since it was created (proxy tokens or CA rotated), "
                          "so its requests would be refused; fix: recreate it (`sandbox-run rm -f " + name +
                          "`, then start it again)");
  return {};
}

// The exec's exit code; the daemon records it just after the stream ends.
util::Result<int> exit_code(docker::Client& client, const std::string& exec_id) {
  for (int attempt = 0;; ++attempt) {
    SR_ASSIGN(auto info, client.inspect_exec(exec_id));
    const auto& code = info["ExitCode"];
    if (code.is_number_integer() && !(info.value("Running", false) && attempt < 50)) return code.get<int>();
    if (attempt >= 50) return util::fail(util::ErrorKind::api, "exec " + exec_id + ": no exit code reported");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void resize(docker::Client& client, const std::string& exec_id) {
  auto size = terminal_size(STDOUT_FILENO);
  if (!size) size = terminal_size(STDIN_FILENO);
  if (size) (void)client.resize_exec(exec_id, size->rows, size->cols);
}

// Like the Docker CLI, exec proxies no signal: one that would end the CLI
// ends us (after the terminal is restored), of that signal.
[[noreturn]] void die_of(int signo, std::optional<SignalWatcher>& watcher) {
  std::fflush(stdout);
  std::signal(signo, SIG_DFL);
  watcher.reset();
  std::raise(signo);
  std::_Exit(128 + signo);
}

int attached(const ExecSpec& spec, docker::Client& client, const std::string& exec_id, Diagnostics& diag) {
  auto blocked = SignalWatcher::block(proxied_signals());
  if (!blocked) return own_failure(blocked.error(), diag);
  std::optional<SignalWatcher> watcher(std::move(*blocked));
  std::optional<RawTerminal> raw;
  if (spec.tty && spec.interactive && ::isatty(STDIN_FILENO)) {
    auto t = RawTerminal::enter(STDIN_FILENO);
    if (!t) return own_failure(t.error(), diag);
    raw.emplace(std::move(*t));
  }
  auto stream = client.start_exec_attached(exec_id, spec.tty);
  if (!stream) {
    if (raw) raw->restore();
    print_cli_error(stream.error(), diag);
    return kExitDaemonError;
  }
  if (spec.tty) resize(client, exec_id);
  PumpConfig cfg;
  cfg.stream = stream->get();
  cfg.framing = spec.tty ? Framing::raw : Framing::multiplexed;
  cfg.stdin_fd = spec.interactive ? STDIN_FILENO : -1;
  cfg.signal_fd = watcher->fd();
  cfg.next_signal = [&] { return watcher->next(); };
  cfg.on_signal = [&](int signo) {
    if (signo != SIGWINCH) return SignalAction::stop;
    if (spec.tty) resize(client, exec_id);
    return SignalAction::keep_going;
  };
  auto end = pump(cfg);
  if (raw) raw->restore();
  if (!end) return own_failure(end.error(), diag);
  // The Docker CLI (28) turns SIGINT/SIGTERM into a cancelled context: it
  // leaves the command running and exits 0. Other signals end it as their
  // default action would.
  if (end->stopped_by_signal == SIGINT || end->stopped_by_signal == SIGTERM) return 0;
  if (end->stopped_by_signal != 0) die_of(end->stopped_by_signal, watcher);
  auto code = exit_code(client, exec_id);
  if (!code) return own_failure(code.error(), diag);
  return *code;
}

}  // namespace

nlohmann::json exec_create_body(const ExecSpec& spec) {
  nlohmann::json body = {{"AttachStdin", spec.interactive && !spec.detach},
                         {"AttachStdout", !spec.detach},
                         {"AttachStderr", !spec.detach},
                         {"Tty", spec.tty},
                         {"Privileged", spec.privileged},
                         {"Cmd", spec.cmd}};
  if (!spec.env.empty()) body["Env"] = spec.env;
  if (!spec.workdir.empty()) body["WorkingDir"] = spec.workdir;
  if (!spec.user.empty()) body["User"] = spec.user;
  if (!spec.detach_keys.empty()) body["DetachKeys"] = spec.detach_keys;
  return body;
}

int run_exec(const ExecSpec& spec, docker::Client& client, Diagnostics& diag) {
  if (spec.tty && spec.interactive && !spec.detach && !::isatty(STDIN_FILENO)) {
    diag.error("usage", "the input device is not a TTY");
    return 1;  // as docker exec, before any request
  }
  auto info = inspect_owned(client, spec.container);
  if (!info) {
    print_cli_error(info.error(), diag);
    return kExitDaemonError;
  }
  if (auto ok = check_egress_current(*info, spec.container); !ok) return own_failure(ok.error(), diag);
  nlohmann::json body = exec_create_body(spec);
  // As in `run`, config.json's detachKeys is the default; it acts only on an attached stdin.
  if (spec.detach_keys.empty() && spec.interactive && !spec.detach)
    if (std::string keys = default_detach_keys(); !keys.empty()) body["DetachKeys"] = keys;
  auto exec_id = client.create_exec(spec.container, body);
  if (!exec_id) {
    print_cli_error(exec_id.error(), diag);
    return kExitDaemonError;
  }
  if (!spec.detach) return attached(spec, client, *exec_id, diag);
  if (auto r = client.start_exec_detached(*exec_id, spec.tty); !r) {
    print_cli_error(r.error(), diag);
    return kExitDaemonError;
  }
  return 0;
}

}  // namespace sr::runtime
