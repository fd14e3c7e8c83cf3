#include "cli/daemon_commands.hpp"

#include <signal.h>

#include <csignal>

#include "cli/cli_util.hpp"
#include "daemon/daemon.hpp"
#include "daemon/installer.hpp"
#include "daemon/reload_client.hpp"
#include "egress/firewall.hpp"
#include "egress/interception.hpp"

namespace sr::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int) { g_interrupted = 1; }
bool interrupted() { return g_interrupted != 0; }

// While a start waits for readiness, Ctrl-C (or a SIGTERM) must not kill the
// CLI before it has killed the half-started child: turn the signals into a
// flag that start_daemon polls, and restore the old handlers afterwards.
class InterruptGuard {
 public:
  InterruptGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

util::Result<egress::Config> load_checked_config(const egress::Paths& paths) {
  auto config = egress::load_config(paths.config());
  if (config)
    for (const auto& w : config->warnings) cli::warn(w);
  return config;
}

// A reboot or a dockerd restart flushes the host rules setup installed;
// `start` puts them back before any sandbox can use the proxy. Another
// home's interception on the same network is an error: this home's
// sandboxes would silently reach that home's engine.
util::Result<void> reapply_firewall(const egress::Paths& paths, const egress::Config& config) {
  if (config.proxy.isolation != egress::Isolation::internal) return {};
  auto done = reapply_recorded_firewall(paths, egress::system_iptables_runner());
  if (!done) {
    cli::warn(done.error().message + "; sandboxes may reach every service on this host (run 'sandbox-egress setup')");
    return {};
  }
  if (!*done) return {};
  cli::info("firewall: rules for the sandbox network are in place (IPv4 and IPv6)");
  auto spec = read_firewall_record(paths);
  if (!spec || !*spec) return {};
  auto ok = install_interception(interception_spec(**spec), egress::system_iptables_runner());
  if (!ok && ok.error().kind == util::ErrorKind::conflict) return ok;
  if (!ok) cli::warn(ok.error().message + "; clients that ignore HTTPS_PROXY get no connection (run 'sandbox-egress setup')");
  return {};
}

int do_start(const egress::Paths& paths, const egress::Config& config, const std::string& env_file) {
  if (auto ok = reapply_firewall(paths, config); !ok)
    return cli::error(ok.error().context("starting the egress daemon"));
  InterruptGuard guard;
  sr::daemon::StartOptions options;
  options.interrupted = &interrupted;
  if (!env_file.empty()) options.env_file = env_file;
  auto started = start_daemon(paths, config, options);
  if (!started) return cli::error(started.error().context("starting the egress daemon"));
  for (const auto& w : started->warnings) cli::warn(w);
  if (started->status == sr::daemon::StartStatus::already_running)
    cli::info("already running (pid " + std::to_string(started->pid) + ")");
  else
    cli::info("started the egress daemon (pid " + std::to_string(started->pid) + "), listening on " +
              started->tunnel_address + "; credentials from " + started->credentials_from);
  return 0;
}

int do_stop(const egress::Paths& paths, const egress::Config& config) {
  auto stopped = sr::daemon::stop_daemon(paths, config);
  if (!stopped) return cli::error(stopped.error().context("stopping the egress daemon"));
  const std::string pid = std::to_string(stopped->pid);
  switch (stopped->status) {
    case sr::daemon::StopStatus::not_running: cli::info("the egress daemon is not running"); break;
    case sr::daemon::StopStatus::stale_removed:
      cli::info("the egress daemon is not running; removed a stale pidfile (" + stopped->detail + ")");
      break;
    case sr::daemon::StopStatus::stopped: cli::info("stopped the egress daemon (pid " + pid + ")"); break;
    case sr::daemon::StopStatus::killed:
      cli::info("killed the egress daemon (pid " + pid + ") after it ignored SIGTERM for 5 s");
      break;
  }
  return 0;
}

// start and restart: the credential file to read instead of setup's.
void add_env_file_option(CLI::App& app, std::string& env_file) {
  app.add_option("--env-file", env_file,
                 "read mapped credentials from this dotenv file (0600, yours) instead of the one setup "
                 "recorded; exported values win");
}

}  // namespace

int cmd_start(std::span<const std::string> args) {
  CLI::App app{"Start the egress daemon (waits until its tunnel listener accepts connections).", "start"};
  std::string env_file;
  add_env_file_option(app, env_file);
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  auto config = load_checked_config(paths);
  if (!config) return cli::error(config.error().context("start"));
  return do_start(paths, *config, env_file);
}

int cmd_stop(std::span<const std::string> args) {
  CLI::App app{"Stop the egress daemon (SIGTERM, then SIGKILL after 5 s).", "stop"};
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  if (!paths.set_up()) {
    cli::info(paths.not_set_up() + "; nothing to stop");
    return 0;
  }
  auto config = load_checked_config(paths);
  if (!config) return cli::error(config.error().context("stop"));
  return do_stop(paths, *config);
}

int cmd_restart(std::span<const std::string> args) {
  CLI::App app{"Stop, then start the egress daemon.", "restart"};
  std::string env_file;
  add_env_file_option(app, env_file);
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  auto config = load_checked_config(paths);
  if (!config) return cli::error(config.error().context("restart"));
  sr::daemon::StartOptions check;
  if (!env_file.empty()) check.env_file = env_file;
  // A start that is bound to refuse must not stop the running daemon first.
  if (auto ok = check_credential_file(paths, *config, check); !ok)
    return cli::error(ok.error().context("restart (the daemon was left running)"));
  if (int rc = do_stop(paths, *config); rc != 0) return rc;
  return do_start(paths, *config, env_file);
}

int cmd_reload(std::span<const std::string> args) {
  CLI::App app{"Make the running daemon re-read proxy.yaml (POST /v1/reload).", "reload"};
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  auto config = load_checked_config(paths);
  if (!config) return cli::error(config.error().context("reload"));
  if (auto ok = sr::daemon::reload_daemon(paths, *config); !ok) return cli::error(ok.error().context("reload"));
  cli::info("the egress daemon reloaded " + paths.proxy_yaml().string());
  return 0;
}

int cmd_install(std::span<const std::string> args) {
  CLI::App app{"Install the pinned iron-proxy release (engine: iron-proxy).", "install"};
  bool force = false;
  app.add_flag("--force", force, "download and install again even if it is present");
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  auto config = load_checked_config(paths);
  if (!config) return cli::error(config.error().context("install"));
  auto out = install_iron_proxy(paths, *config, force ? sr::daemon::InstallMode::force : sr::daemon::InstallMode::if_missing);
  if (!out) return cli::error(out.error().context("installing iron-proxy " + std::string(sr::daemon::kIronProxyVersion)));
  for (const auto& w : out->warnings) cli::warn(w);
  std::string version = out->version.empty() ? "" : " (" + out->version + ")";
  if (out->status == sr::daemon::InstallStatus::already_present)
    cli::info("iron-proxy is already installed at " + out->binary.string() + version +
              "; use --force to download it again");
  else
    cli::info("installed iron-proxy " + std::string(sr::daemon::kIronProxyVersion) + " at " + out->binary.string() + version);
  if (config->proxy.engine != egress::Engine::iron_proxy)
    cli::info("note: proxy.engine is builtin; set proxy.engine: iron-proxy to use it");
  return 0;
}

}  // namespace sr::cli
