// Host firewall for isolation: internal. An internal Docker network has no
// route out, but its containers still reach every address of the host itself
// (databases, a Docker API on TCP...). This installs an iptables chain that
// lets the internal network reach only the proxy's ports on the host.
//
//   INPUT -s <subnet> -j SANDBOX-EGRESS
//   SANDBOX-EGRESS: ESTABLISHED,RELATED accept; tcp to <gateway>:<ports> accept;
//                   everything else REJECT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  std::string subnet;   // internal network, e.g. 10.213.37.0/24
  std::string gateway;  // where the proxy listens
  std::vector<std::uint16_t> ports;  // tunnel and plain-HTTP ports
};

// Idempotent: the chain is rebuilt from scratch and the INPUT jump added once.
util::Result<void> install_firewall(const FirewallSpec& spec, CommandRunner& run);
// Removes the jump(s) and the chain; absent rules are not an error.
util::Result<void> remove_firewall(const std::string& subnet, CommandRunner& run);

}  // namespace sr::egress
