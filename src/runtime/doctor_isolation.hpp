// The doctor's isolation checks (docs/security-model.md, "The boundary,
// layer by layer"): each fails, never skips, when Docker is unreachable.
#pragma once

#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "runtime/doctor.hpp"

namespace sr::runtime {

struct IsolationContext {
  const egress::Paths& paths;
  egress::Config config;
  docker::Client* docker;  // null: Docker unreachable
};

// The sandbox-egress network: internal, IPv6 off, ICC as configured.
CheckResult check_network(const IsolationContext& ctx);
// The recorded host rules: present in iptables and ip6tables and bound to
// the network's current bridge.
CheckResult check_firewall(const IsolationContext& ctx);
// Which runtime sandboxes use and which the daemon offers; warn without a
// kernel boundary (gVisor, Kata).
CheckResult check_runtime(const IsolationContext& ctx);

}  // namespace sr::runtime
