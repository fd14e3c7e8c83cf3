// What is known about the egress daemon, from the pidfile, the nonce and a
// TCP probe of the tunnel listener. Never trusts a pid alone: a recycled pid is not ours.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "egress/config.hpp"
#include "egress/paths.hpp"

namespace sr::daemon {

struct DaemonState {
  std::optional<pid_t> pid;  // from the pidfile, if one exists
  bool alive = false;        // that pid is a live process
  bool ours = false;         // alive AND carries our nonce (or legacy argv[0] match)
  bool listening = false;    // the tunnel listener accepts TCP connections
  bool stale_pidfile = false;  // pidfile points at a dead or foreign process
  std::string tunnel_address;  // host:port probed
  std::string detail;          // one line for humans
};

// Reads the tunnel's listen address from proxy.yaml, then probes.
DaemonState inspect_daemon(const egress::Paths& paths, const egress::Config& config);
// The same, for a caller that has already loaded proxy.yaml (`tunnel_listen`
// as written there; empty when it has none): saves the launcher a second
// YAML parse, its largest start-up cost with egress on.
DaemonState inspect_daemon(const egress::Paths& paths, const egress::Config& config, const std::string& tunnel_listen);

}  // namespace sr::daemon
