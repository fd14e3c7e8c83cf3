#include "daemon/daemon_state.hpp"

#include <chrono>

#include "daemon/daemon_probe.hpp"
#include "daemon/pidfile.hpp"
#include "daemon/process_info.hpp"
#include "egress/daemon_env.hpp"
#include "proxyconf/proxy_config.hpp"

namespace sr::daemon {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Legacy pidfiles (no nonce file) are matched by the engine's argv[0] basename.
std::string engine_basename(const egress::Config& config) {
  return config.proxy.engine == egress::Engine::iron_proxy ? "iron-proxy" : "sandbox-egress";
}

// "Ours" never rests on the pid alone: a pid can be recycled by any process.
bool is_ours(pid_t pid, const egress::Paths& paths, const egress::Config& config, std::string& why_not) {
  auto nonce = read_private_file(paths.nonce());
  if (nonce) {
    auto has = process_env_has(pid, egress::kNonceEnv, trim(*nonce));
    if (has && *has) return true;
    why_not = has ? "its environment does not carry our nonce" : has.error().message;
    return false;
  }
  if (nonce.error().kind != util::ErrorKind::not_found) {
    why_not = nonce.error().message;
    return false;
  }
  auto argv0 = process_argv0(pid);
  if (argv0 && std::filesystem::path(*argv0).filename() == engine_basename(config)) return true;
  why_not = "no nonce file and its argv[0] is not " + engine_basename(config);
  return false;
}

}  // namespace

DaemonState inspect_daemon(const egress::Paths& paths, const egress::Config& config) {
  auto pc = proxyconf::load(paths.proxy_yaml());
  return inspect_daemon(paths, config, pc ? pc->tunnel_listen : std::string());
}

DaemonState inspect_daemon(const egress::Paths& paths, const egress::Config& config, const std::string& tunnel_listen) {
  DaemonState s;
  std::optional<HostPort> tunnel;
  if (!tunnel_listen.empty()) {
    s.tunnel_address = tunnel_listen;
    if (auto hp = dial_address(tunnel_listen)) tunnel = *hp;
  }
  const bool accepts = tunnel && tcp_accepts(*tunnel, std::chrono::milliseconds(500));

  auto pid = read_pidfile(paths.pidfile());
  if (!pid) {
    s.detail = "unsafe pidfile: " + pid.error().message;
    return s;
  }
  if (!*pid) {
    s.detail = "not running";
    if (accepts) s.detail += "; another process is listening on " + s.tunnel_address;
    return s;
  }
  s.pid = **pid;
  s.alive = process_alive(**pid);
  if (!s.alive) {
    s.stale_pidfile = true;
    s.detail = "not running (stale pidfile: pid " + std::to_string(**pid) + " is gone)";
    return s;
  }
  std::string why_not;
  s.ours = is_ours(**pid, paths, config, why_not);
  if (!s.ours) {
    s.stale_pidfile = true;
    s.detail = "not running (stale pidfile: pid " + std::to_string(**pid) +
               " is another process: " + why_not + ")";
    return s;
  }
  s.listening = accepts && listener_owned_by(**pid, tunnel->port);
  if (s.listening)
    s.detail = "running (pid " + std::to_string(**pid) + "), listening on " + s.tunnel_address;
  else if (accepts)
    s.detail = "running (pid " + std::to_string(**pid) + ") but " + s.tunnel_address +
               " is held by another process";
  else
    s.detail = "running (pid " + std::to_string(**pid) + ") but not accepting connections on " +
               (s.tunnel_address.empty() ? std::string("the tunnel listener") : s.tunnel_address);
  return s;
}

}  // namespace sr::daemon
