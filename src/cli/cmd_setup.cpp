// `sandbox-egress setup`: flags -> SetupOptions, real environment -> SetupEnv.
#include <unistd.h>

#include <iostream>

#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "daemon/daemon.hpp"
#include "daemon/daemon_state.hpp"
#include "egress/bitwarden.hpp"
#include "egress/setup.hpp"

namespace sr::cli {

namespace {

// A typed word on a TTY; without a TTY there is nobody to ask.
bool confirm_rotation() {
  if (!::isatty(STDIN_FILENO)) return true;
  std::cerr << "Rotating replaces every proxy token: running sandboxes keep the old ones and\n"
               "their requests will stop being authenticated. Type 'rotate' to continue: "
            << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) return false;
  return line == "rotate";
}

// A running daemon keeps its listeners, TLS and transforms until restarted.
int handle_daemon(const egress::Paths& paths, egress::RestartPolicy policy) {
  auto config = egress::load_config(paths.config());
  if (!config) return cli::error(config.error().context("setup"));
  sr::daemon::DaemonState d = sr::daemon::inspect_daemon(paths, *config);
  if (!d.alive || !d.ours) {
    if (policy == egress::RestartPolicy::restart) cli::info("daemon: not running, nothing to restart");
    cli::info("egress is set up; start the proxy with 'sandbox-egress start'");
    return 0;
  }
  std::string pid = std::to_string(*d.pid);
  if (policy == egress::RestartPolicy::no_restart) {
    cli::info("daemon: pid " + pid + " keeps running with the previous settings (--no-restart)");
    return 0;
  }
  if (policy == egress::RestartPolicy::tell) {
    cli::warn("the egress daemon (pid " + pid + ") still runs with the previous settings; "
              "restart it with 'sandbox-egress restart' (or re-run setup with --restart)");
    return 0;
  }
  if (auto stopped = sr::daemon::stop_daemon(paths, *config); !stopped)
    return cli::error(stopped.error().context("setup: restarting the daemon: stopping pid " + pid));
  auto started = sr::daemon::start_daemon(paths, *config);
  if (!started) return cli::error(started.error().context("setup: restarting the daemon"));
  for (const auto& w : started->warnings) cli::warn(w);
  cli::info("daemon: restarted (pid " + std::to_string(started->pid) + ", listening on " +
            started->tunnel_address + ")");
  return 0;
}

}  // namespace

int cmd_setup(std::span<const std::string> args, egress::SandboxNetwork* network) {
  CLI::App app{"Create the CA, proxy tokens and proxy.yaml, and enable egress.", "setup"};
  int port = 0;
  std::string env_file, engine, isolation;
  std::string bw_project;
  bool rotate = false, restart = false, no_restart = false, from_bw = false, no_bw = false,
       no_env_file = false;
  auto* port_opt = app.add_option("--tunnel-port", port, "CONNECT port (1..65531; +1 plain HTTP, +2 management, +3 HTTPS, +4 DNS)");
  auto* env_opt = app.add_option("--env-file", env_file,
                                 "dotenv file with provider keys (exported values win); recorded in "
                                 "config.yaml so that 'start' reads the keys from it (keep it 0600)");
  auto* no_env = app.add_flag("--no-env-file", no_env_file, "forget the env file an earlier setup recorded");
  no_env->excludes(env_opt);
  auto* fbw = app.add_flag("--from-bitwarden", from_bw,
                           "take credentials from Bitwarden Secrets Manager (bws; proxy.credential_source: bitwarden)");
  auto* nbw = app.add_flag("--no-bitwarden", no_bw, "take credentials from the environment (proxy.credential_source: env)");
  fbw->excludes(nbw);
  auto* bwp_opt = app.add_option("--bitwarden-project", bw_project,
                                 "Bitwarden project whose secrets 'bws secret list' reads (proxy.bitwarden_project)");
  auto* engine_opt = app.add_option("--engine", engine, "builtin | iron-proxy");
  auto* iso_opt = app.add_option("--isolation", isolation, "internal | bridge");
  app.add_flag("--rotate-tokens", rotate, "mint new proxy tokens (backs up mappings.json)");
  auto* r = app.add_flag("--restart", restart, "restart a running daemon afterwards");
  auto* nr = app.add_flag("--no-restart", no_restart, "leave a running daemon alone");
  r->excludes(nr);
  if (auto code = cli::parse(app, args)) return *code;

  egress::SetupOptions o;
  if (*port_opt) {
    if (port < 1 || port > 65531) {
      std::fprintf(stderr, "sandbox-egress setup: error: --tunnel-port %d is outside 1..65531 "
                           "(the proxy also uses port+1 and port+2)\n", port);
      return 2;
    }
    o.tunnel_port = static_cast<std::uint16_t>(port);
  }
  if (*engine_opt && !(o.engine = egress::parse_engine(engine))) {
    std::fprintf(stderr, "sandbox-egress setup: error: --engine must be builtin or iron-proxy\n");
    return 2;
  }
  if (*iso_opt && !(o.isolation = egress::parse_isolation(isolation))) {
    std::fprintf(stderr, "sandbox-egress setup: error: --isolation must be internal or bridge\n");
    return 2;
  }
  if (*env_opt) {
    if (env_file.empty()) {
      std::fprintf(stderr, "sandbox-egress setup: error: --env-file needs a file name\n");
      return 2;
    }
    o.env_file = env_file;
  }
  o.forget_env_file = no_env_file;
  if (from_bw) o.credential_source = egress::CredentialSource::bitwarden;
  if (no_bw) o.credential_source = egress::CredentialSource::env;
  if (*bwp_opt) {
    if (bw_project.empty()) {
      std::fprintf(stderr, "sandbox-egress setup: error: --bitwarden-project needs a project name or id\n");
      return 2;
    }
    o.bitwarden_project = bw_project;
  }
  o.tokens = rotate ? egress::TokenPolicy::rotate : egress::TokenPolicy::keep_existing;
  o.restart = restart ? egress::RestartPolicy::restart : no_restart ? egress::RestartPolicy::no_restart : egress::RestartPolicy::tell;

  egress::Paths paths = egress::Paths::from_environment();
  egress::SetupEnv env;
  // Exported variables only: run_setup reads the env file itself.
  env.presence = egress::environment_lookup(std::map<std::string, std::string>{});
  env.bitwarden_names = [](const egress::ProxySettings& settings, const std::map<std::string, std::string>& file) {
    return bitwarden_secret_names(
        settings, egress::with_file_fallback(egress::process_env_lookup(), file, {settings.bitwarden_token_env}));
  };
  env.network = network;
  env.firewall = &egress::system_iptables_runner();
  env.confirm_rotation = confirm_rotation;
  env.info = cli::info;
  env.warn = cli::warn;
  if (auto done = run_setup(paths, o, env); !done) return cli::error(done.error().context("setup"));
  return handle_daemon(paths, o.restart);
}

}  // namespace sr::cli
