// Host firewall for isolation: internal. An internal Docker network has no
// route out, but its containers still reach every address of the host itself
// (databases, a Docker API on TCP...). This installs an iptables chain that
// lets the internal network reach only the proxy's ports on the host.
//
//   INPUT -s <subnet> ! -i lo -j SANDBOX-EGRESS
//   SANDBOX-EGRESS: ESTABLISHED,RELATED accept; tcp to <gateway>:<ports> accept;
//                   everything else REJECT
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
};

// The real runner (Boost.Process, output discarded).
CommandRunner& system_command_runner();

struct FirewallSpec {
  std::string subnet;   // internal network, e.g. 172.30.0.0/16
  std::string gateway;  // where the proxy listens
  std::vector<std::uint16_t> ports;  // tunnel and plain-HTTP ports
};

// Idempotent: the chain is rebuilt from scratch and the INPUT jump added once.
util::Result<void> install_firewall(const FirewallSpec& spec, CommandRunner& run);
// Removes the jump(s) and the chain; absent rules are not an error.
util::Result<void> remove_firewall(const std::string& subnet, CommandRunner& run);

// Where setup records the protected subnet, so `disable` can remove the rule
// without asking Docker.
inline std::filesystem::path firewall_state_path(const Paths& paths) {
  return paths.state_dir() / "firewall.subnet";
}

// `disable`: removes the rule recorded by setup (nothing recorded: no-op).
// Returns the subnet it unprotected, or "" when there was none.
util::Result<std::string> remove_recorded_firewall(const Paths& paths, CommandRunner& run);

}  // namespace sr::egress
