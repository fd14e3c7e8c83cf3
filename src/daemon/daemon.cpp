#include "daemon/daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "daemon/daemon_probe.hpp"
#include "daemon/daemon_spawn.hpp"
#include "daemon/daemon_state.hpp"
#include "daemon/installer.hpp"
#include "daemon/pidfile.hpp"
#include "daemon/process_info.hpp"
#include "egress/bitwarden.hpp"
#include "egress/daemon_env.hpp"
#include "egress/discovery.hpp"
#include "egress/mappings.hpp"
#include "proxyconf/proxy_config.hpp"
#include "util/random.hpp"

namespace sr::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

util::Result<void> check_startable(const egress::Paths& paths, const egress::Config& config) {
  if (!config.proxy.enabled)
    return util::fail(util::ErrorKind::invalid_argument,
                      "egress is disabled (proxy.enabled is false in " + paths.config().string() +
                          "); run 'sandbox-egress setup' to enable it");
  for (const auto& p : {paths.proxy_yaml(), paths.ca_cert()}) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0)
      return util::fail(util::ErrorKind::not_found,
                        "egress is not set up (" + p.string() + " is missing); run 'sandbox-egress setup'");
  }
  return {};
}

util::Result<EngineCommand> engine_command(const egress::Paths& paths, const egress::Config& config,
                                           std::vector<std::string>& warnings) {
  if (config.proxy.engine == egress::Engine::builtin) {
    // Our own binary, resolved now: argv[0] may be relative or a symlink.
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return util::fail(util::ErrorKind::io, "resolving /proc/self/exe: " + ec.message());
    EngineCommand cmd{self, {"serve", "--config", paths.proxy_yaml().string(), "--audit-log",
                             paths.audit_log().string(), "--narrowings", paths.narrowings().string()}};
    for (auto& flag : egress::serve_flags(config.proxy)) cmd.args.push_back(std::move(flag));
    // Test hook: SANDBOX_EGRESS_SERVE_ARGS (whitespace-separated) is appended
    // to the serve argv, e.g. "--resolve api.openai.com:443:127.0.0.1:8443".
    // It can point a provider host elsewhere, so a production build (without
    // SANDBOX_RUN_TEST_HOOKS) ignores it and says so.
#ifdef SR_EGRESS_TEST_HOOKS
    if (const char* extra = std::getenv("SANDBOX_EGRESS_SERVE_ARGS")) {
      std::istringstream words{std::string(extra)};
      for (std::string w; words >> w;) cmd.args.push_back(w);
    }
#else
    if (std::getenv("SANDBOX_EGRESS_SERVE_ARGS") != nullptr)
      warnings.push_back("SANDBOX_EGRESS_SERVE_ARGS ignored: this build has no test hooks");
#endif
    return cmd;
  }
  const auto bin = paths.iron_proxy_binary();
  if (::access(bin.c_str(), X_OK) != 0) {
    if (!config.proxy.auto_install)
      return util::fail(util::ErrorKind::not_found,
                        "the iron-proxy engine is not installed at " + bin.string() +
                            " and proxy.auto_install is off; run 'sandbox-egress install'");
    SR_ASSIGN(auto installed, util::with_context(install_iron_proxy(paths, config, InstallMode::if_missing),
                                                 "installing iron-proxy (proxy.auto_install)"));
    warnings.insert(warnings.end(), installed.warnings.begin(), installed.warnings.end());
  }
  return EngineCommand{bin, {"-config", paths.proxy_yaml().string()}};
}

// The env file this start reads credentials from: `start --env-file`, else
// proxy.env_file; nullopt when neither is given.
struct EnvFileSource {
  std::filesystem::path path;
  std::map<std::string, std::string> values;
};

util::Result<std::optional<EnvFileSource>> credential_env_file(const egress::Paths& paths, const egress::Config& config,
                                                               const StartOptions& options) {
  std::filesystem::path path;
  std::string origin;
  if (options.env_file) {
    path = std::filesystem::absolute(*options.env_file).lexically_normal();
    origin = "--env-file";
  } else if (!config.proxy.env_file.empty()) {
    path = config.proxy.env_file;
    origin = "proxy.env_file in " + paths.config().string() + " (recorded by 'sandbox-egress setup --env-file')";
  } else {
    return std::optional<EnvFileSource>{};
  }
  auto loaded = egress::load_credential_file(path, egress::FileCheck::strict);
  if (!loaded) {
    util::Error e = std::move(loaded.error()).context("reading credentials from " + origin);
    if (e.kind == util::ErrorKind::not_found && !options.env_file)
      e.message += "; restore it, or re-run 'sandbox-egress setup --env-file FILE' (or "
                   "'sandbox-egress setup --no-env-file' to stop using one)";
    return std::unexpected(std::move(e));
  }
  return std::optional<EnvFileSource>{EnvFileSource{path, std::move(loaded->values)}};
}

util::Result<egress::DaemonEnv> daemon_environment(const egress::Paths& paths, const egress::Config& config,
                                           const proxyconf::ProxyConfig& pc, const std::string& nonce,
                                           const StartOptions& options, StartOutcome& outcome) {
  SR_ASSIGN(auto mappings, util::with_context(egress::load_mappings(paths.mappings()), "reading mappings"));
  SR_ASSIGN(auto key, util::with_context(read_private_file(paths.management_token()),
                                         "reading the management token (run 'sandbox-egress setup')"));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  egress::DaemonEnvInputs in;
  in.caller_env = egress::process_env_lookup();
  in.credentials = egress::mapped_credentials(mappings);
  SR_ASSIGN(auto file, credential_env_file(paths, config, options));
  egress::EnvLookup secret_env = in.caller_env;
  std::string from = "the environment";
  if (file) {
    // The file may also hold the Bitwarden access token.
    auto names = egress::credential_names(in.credentials);
    names.push_back(config.proxy.bitwarden_token_env);
    secret_env = egress::with_file_fallback(in.caller_env, std::move(file->values), std::move(names));
    from = "the environment, then " + file->path.string();
  }
  in.secrets = secret_env;
  if (config.proxy.credential_source == egress::CredentialSource::bitwarden) {
    SR_ASSIGN(auto source, egress::bitwarden_secrets(config.proxy, in.credentials, secret_env));
    in.secrets = source.lookup;
    outcome.warnings.insert(outcome.warnings.end(), source.warnings.begin(), source.warnings.end());
    from = "Bitwarden project " + config.proxy.bitwarden_project +
           (source.warnings.empty() ? "" : " (with fallback to " + from + ")");
  }
  outcome.credentials_from = from;
  if (!pc.management_api_key_env.empty()) in.management_key_env = pc.management_api_key_env;
  in.management_key = key;
  in.nonce = nonce;
  egress::DaemonEnv env = build_daemon_env(in);
  // The engines refuse to start with an unset secrets source, so say which
  // variable is missing here rather than leave it to the daemon log.
  if (!env.missing_credentials.empty()) {
    std::string names;
    for (const auto& n : env.missing_credentials) names += (names.empty() ? "" : ", ") + n;
    return util::fail(util::ErrorKind::invalid_argument,
                      "mapped credential(s) " + names + " have no value in " + from +
                          "; export them" + (file ? " or add them to " + file->path.string() : "") +
                          ", or re-run 'sandbox-egress setup' to drop providers you no longer use");
  }
  return env;
}

// The last `n` lines the engine wrote since `offset` (this start's output).
std::string log_tail(const std::filesystem::path& log, off_t offset, std::size_t n) {
  util::UniqueFd fd(::open(log.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return {};
  off_t end = ::lseek(fd.get(), 0, SEEK_END);
  off_t from = std::max(offset, end - off_t{64 * 1024});
  std::string text(static_cast<std::size_t>(std::max<off_t>(end - from, 0)), '\0');
  ssize_t got = ::pread(fd.get(), text.data(), text.size(), from);
  text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::size_t pos = text.size();
  for (std::size_t lines = 0; lines < n; ++lines) {
    auto nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return text.substr(pos + 1);
}

void remove_run_files(const egress::Paths& paths) {
  (void)remove_if_present(paths.pidfile());
  (void)remove_if_present(paths.nonce());
}

util::Error with_log(util::Error e, const egress::Paths& paths, off_t offset) {
  std::string tail = log_tail(paths.daemon_log(), offset, 20);
  e.message += tail.empty() ? "\n(the daemon log " + paths.daemon_log().string() + " is empty)"
                            : "\nlast lines of " + paths.daemon_log().string() + ":\n" + tail;
  return e;
}

// Polls until the child's own listener accepts TCP; any other outcome is an
// error, after which the caller kills the child.
util::Result<void> wait_ready(SpawnedDaemon& child, const HostPort& tunnel, const StartOptions& options) {
  const auto deadline = Clock::now() + options.ready_timeout;
  for (;;) {
    if (options.interrupted && options.interrupted())
      return util::fail(util::ErrorKind::generic, "interrupted while waiting for the daemon to listen");
    if (!child.running())
      return util::fail(util::ErrorKind::generic,
                        "the daemon exited (status " + std::to_string(child.exit_status()) +
                            ") before listening on " + util::format_host_port(tunnel.host, tunnel.port));
    if (tcp_accepts(tunnel, options.poll_interval) && listener_owned_by(child.pid(), tunnel.port))
      return {};
    if (Clock::now() >= deadline)
      return util::fail(util::ErrorKind::timeout,
                        "the daemon did not accept connections on " + tunnel.host + ":" +
                            std::to_string(tunnel.port) + " within " +
                            std::to_string(options.ready_timeout.count()) + " ms");
    std::this_thread::sleep_for(options.poll_interval);
  }
}

util::Result<StartOutcome> spawn_and_wait(const egress::Paths& paths, const egress::Config& config,
                                          const proxyconf::ProxyConfig& pc, const HostPort& tunnel,
                                          const StartOptions& options, StartOutcome outcome) {
  SR_ASSIGN(EngineCommand command, engine_command(paths, config, outcome.warnings));
  SR_ASSIGN(util::UniqueFd log_fd, util::with_context(open_private_append(paths.daemon_log()), "opening the daemon log"));
  SR_TRY(util::with_context(open_private_append(paths.audit_log()), "pre-creating the audit log"));
  const off_t log_offset = ::lseek(log_fd.get(), 0, SEEK_END);
  SR_ASSIGN(std::string nonce, util::random_hex(16));
  SR_ASSIGN(egress::DaemonEnv env, daemon_environment(paths, config, pc, nonce, options, outcome));
  SR_TRY(remove_if_present(paths.nonce()));
  SR_TRY(util::with_context(create_private_file(paths.nonce(), nonce + "\n"), "writing the nonce file"));
  if (options.interrupted && options.interrupted()) {
    remove_run_files(paths);
    return util::fail(util::ErrorKind::generic, "interrupted before the daemon was started");
  }
  auto child = spawn_daemon(command, env.vars, log_fd.get());
  log_fd.reset();  // the child holds its own copy; ours must not outlive the spawn
  if (!child) {
    remove_run_files(paths);
    return std::unexpected(std::move(child.error()));
  }
  if (auto w = create_pidfile(paths.pidfile(), child->pid()); !w) {
    child->kill();
    (void)remove_if_present(paths.nonce());
    if (w.error().kind == util::ErrorKind::conflict)
      return util::fail(util::ErrorKind::conflict, "another start is in progress (pidfile appeared)");
    return std::unexpected(std::move(w.error()));
  }
  if (auto ready = wait_ready(*child, tunnel, options); !ready) {
    child->kill();
    remove_run_files(paths);
    return std::unexpected(with_log(std::move(ready.error()), paths, log_offset));
  }
  child->detach();
  outcome.pid = child->pid();
  return outcome;
}

StartOutcome already_running(const DaemonState& st) {
  StartOutcome o;
  o.status = StartStatus::already_running;
  o.pid = st.pid.value_or(0);
  o.tunnel_address = st.tunnel_address;
  return o;
}

}  // namespace

util::Result<StartOutcome> start_daemon(const egress::Paths& paths, const egress::Config& config,
                                        const StartOptions& options) {
  SR_TRY(check_startable(paths, config));
  SR_ASSIGN(auto pc, util::with_context(proxyconf::load(paths.proxy_yaml()), "reading proxy.yaml"));
  SR_ASSIGN(HostPort tunnel, util::with_context(dial_address(pc.tunnel_listen), "proxy.tunnel_listen"));
  DaemonState st = inspect_daemon(paths, config);
  if (st.ours && st.listening) return already_running(st);

  auto lock = StateLock::acquire(daemon_lock_path(paths), LockWait::no);
  if (!lock) {
    if (lock.error().kind != util::ErrorKind::conflict) return std::unexpected(std::move(lock.error()));
    st = inspect_daemon(paths, config);
    if (st.ours && st.listening) return already_running(st);
    return util::fail(util::ErrorKind::conflict, "another start is in progress");
  }
  st = inspect_daemon(paths, config);  // again, now that no other start can run
  if (st.ours && st.listening) return already_running(st);
  SR_TRY(util::with_context(read_pidfile(paths.pidfile()), "checking for a running daemon"));
  StartOutcome outcome;
  outcome.tunnel_address = pc.tunnel_listen;
  if (st.ours)
    return util::fail(util::ErrorKind::conflict,
                      "another start is in progress: daemon pid " + std::to_string(*st.pid) +
                          " is running but not listening on " + pc.tunnel_listen +
                          " yet; if this persists run 'sandbox-egress restart'");
  if (st.stale_pidfile) {
    outcome.warnings.push_back("removed a stale pidfile: " + st.detail);
    remove_run_files(paths);
  }
  return spawn_and_wait(paths, config, pc, tunnel, options, std::move(outcome));
}

util::Result<void> check_credential_file(const egress::Paths& paths, const egress::Config& config,
                                         const StartOptions& options) {
  SR_TRY(credential_env_file(paths, config, options));
  return {};
}

util::Result<StopOutcome> stop_daemon(const egress::Paths& paths, const egress::Config& config,
                                      const StopOptions& options) {
  // Waits for an in-flight start to settle, then owns the run files.
  SR_ASSIGN(auto lock, StateLock::acquire(daemon_lock_path(paths), LockWait::yes));
  SR_TRY(util::with_context(read_pidfile(paths.pidfile()), "checking for a running daemon"));
  DaemonState st = inspect_daemon(paths, config);
  StopOutcome out;
  out.detail = st.detail;
  if (!st.pid) return out;
  out.pid = *st.pid;
  if (!st.alive || !st.ours) {
    // Never signal a process we cannot prove is ours: the pid may be recycled.
    remove_run_files(paths);
    out.status = StopStatus::stale_removed;
    return out;
  }
  const pid_t pid = *st.pid;
  SR_ASSIGN(const auto started_at, process_start_time(pid));
  auto same_process = [&] {
    auto t = process_start_time(pid);
    return process_alive(pid) && t && *t == started_at;
  };
  if (::kill(pid, SIGTERM) != 0 && errno != ESRCH) return util::fail_errno("kill(SIGTERM) pid " + std::to_string(pid));
  out.status = StopStatus::stopped;
  const auto deadline = Clock::now() + options.term_timeout;
  while (same_process() && Clock::now() < deadline) std::this_thread::sleep_for(50ms);
  if (same_process()) {
    ::kill(pid, SIGKILL);
    out.status = StopStatus::killed;
    const auto kill_deadline = Clock::now() + 2s;
    while (same_process() && Clock::now() < kill_deadline) std::this_thread::sleep_for(20ms);
  }
  remove_run_files(paths);
  return out;
}

}  // namespace sr::daemon
