// The doctor's two end-to-end probes: a throw-away container on the sandbox
// network connecting to the proxy, and a canary swap run inside the engine.
#pragma once

#include <optional>
#include <string>

#include "daemon/daemon_state.hpp"
#include "egress/config.hpp"
#include "egress/mappings.hpp"
#include "egress/paths.hpp"
#include "proxyconf/proxy_config.hpp"
#include "runtime/doctor.hpp"

namespace sr::runtime {

struct ProbeContext {
  const egress::Paths& paths;
  egress::Config config;
  const std::optional<proxyconf::ProxyConfig>& proxy;
  const std::optional<egress::Mappings>& mappings;
  const std::optional<sr::daemon::DaemonState>& daemon;
  docker::Client* docker;
  std::string image;
};

// Catches firewalls and rootless topologies where the host sees the port but
// sandboxes cannot: `nc` from a container on the sandbox network.
CheckResult check_reachability(const ProbeContext& ctx);

// POST /v1/canary?nonce=N on the management listener: the engine runs its
// swap pipeline on a synthetic request per mapping (nothing leaves the
// machine) and answers, per secret, whether the token was replaced and
// HMAC-SHA256(nonce, real value); the doctor compares that with the value in
// its own environment, so neither side reveals a secret.
CheckResult check_canary(const ProbeContext& ctx);

}  // namespace sr::runtime
