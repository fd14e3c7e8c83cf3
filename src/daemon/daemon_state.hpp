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

DaemonState inspect_daemon(const egress::Paths& paths, const egress::Config& config);

}  // namespace sr::daemon
