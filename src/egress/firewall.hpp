// Host firewall for isolation: internal. An internal Docker network has no
// route out, but its containers still reach every address of the host itself
// (databases, a Docker API on TCP...). This installs iptables chains that let
// the internal network reach only the proxy ports on the host:
//
//   INPUT -s <subnet> ! -i lo -j SANDBOX-EGRESS
//   SANDBOX-EGRESS:      -j SANDBOX-EGRESS-<port>  (one per state home, by tunnel port)
//                        ESTABLISHED,RELATED accept; everything else REJECT
//   SANDBOX-EGRESS-<port>: tcp to <gateway>:<port>,<port+1> accept
//
// Several SANDBOX_RUN_HOMEs (different tunnel ports) share the one network:
// each owns its per-port chain, and removing one leaves the others' alone.
// The shared chain and the INPUT jump go with the last per-port chain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "egress/paths.hpp"
#include "util/error.hpp"

namespace sr::egress {

inline constexpr const char* kFirewallChain = "SANDBOX-EGRESS";

// Runs a command (argv[0] searched on PATH) and returns its exit status.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual util::Result<int> run(const std::vector<std::string>& argv) = 0;
  // Its standard output, for `iptables -S`; an error when it exits non-zero.
  virtual util::Result<std::string> output(const std::vector<std::string>& argv) = 0;
};

// The real runner (Boost.Process, output discarded).
CommandRunner& system_command_runner();

struct FirewallSpec {
  std::string subnet;   // internal network, e.g. 172.30.0.0/16
  std::string gateway;  // where the proxy listens
  std::vector<std::uint16_t> ports;  // tunnel and plain-HTTP ports; the first names the chain
};

// "SANDBOX-EGRESS-<port>".
std::string port_chain(std::uint16_t tunnel_port);

// Idempotent: the per-port chain is rebuilt from scratch; the shared chain's
// rules and the INPUT jump are added once. Direct port rules left in the
// shared chain by an older version are deleted.
util::Result<void> install_firewall(const FirewallSpec& spec, CommandRunner& run);
// Removes this tunnel port's chain; when no other per-port chain is left, the
// INPUT jump(s) for `subnet` and the shared chain too. tunnel_port 0 (a
// record from an older version) removes everything. Absent rules are not an
// error.
util::Result<void> remove_firewall(const std::string& subnet, std::uint16_t tunnel_port, CommandRunner& run);

// Where setup records "<subnet> <tunnel port>", so `disable` can remove the
// rules without asking Docker.
inline std::filesystem::path firewall_state_path(const Paths& paths) {
  return paths.state_dir() / "firewall.subnet";
}

// `disable`: removes the rule recorded by setup (nothing recorded: no-op).
// Returns the subnet it unprotected, or "" when there was none.
util::Result<std::string> remove_recorded_firewall(const Paths& paths, CommandRunner& run);

}  // namespace sr::egress
