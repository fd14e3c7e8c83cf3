// Host firewall for isolation: internal. An internal Docker network has no
// route out, but its containers still reach every address of the host itself
// (databases, a Docker API on TCP...). This installs chains, for iptables and
// ip6tables alike, that let the network's bridge reach only the proxy ports:
//
//   INPUT -i <bridge> -j SANDBOX-ISOLATION
//   SANDBOX-ISOLATION:      -j SANDBOX-ISOLATION-<port>  (IPv4; one per state home)
//                           ESTABLISHED,RELATED accept; everything else REJECT
//   SANDBOX-ISOLATION-<port>: tcp to <gateway>:<port>,<port+1> accept
//
// The match is the bridge interface, not the source address: a sandbox that
// forges its source (it would need CAP_NET_RAW, which egress sandboxes lose)
// still arrives on the bridge. IPv6 gets no accept rule at all: the network
// has IPv6 off and the proxy listens on IPv4 only. The commands are the
// `iptables` and `ip6tables` found on PATH, i.e. whichever back end (nft or
// legacy) the system's alternatives select, the one dockerd uses too.
//
// Several SANDBOX_RUN_HOMEs (different tunnel ports) share the one network:
// each owns its per-port chain, and removing one leaves the others' alone.
// The shared chains and the INPUT jumps go with the last per-port chain.
// An older version matched `-s <subnet>` in chain SANDBOX-EGRESS; its record
// (no bridge) is removed with that layout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "egress/paths.hpp"
#include "util/error.hpp"

namespace sr::egress {

inline constexpr const char* kFirewallChain = "SANDBOX-ISOLATION";
inline constexpr const char* kLegacyFirewallChain = "SANDBOX-EGRESS";

// The firewall's and the interception's view of running iptables-like tools
// (argv[0] searched on PATH): exit status or standard output. The real one
// goes through util::system_command_runner(); tests answer from a table.
class IptablesRunner {
 public:
  virtual ~IptablesRunner() = default;
  virtual util::Result<int> run(const std::vector<std::string>& argv) = 0;
  // Its standard output, for `iptables -S`; an error when it exits non-zero.
  virtual util::Result<std::string> output(const std::vector<std::string>& argv) = 0;
};

// The real runner (iptables' own messages are discarded).
IptablesRunner& system_iptables_runner();

struct FirewallSpec {
  std::string subnet;   // internal network, e.g. 172.30.0.0/16
  std::string gateway;  // where the proxy listens
  std::vector<std::uint16_t> ports;  // tunnel and plain-HTTP ports; the first names the chain
  std::string bridge;   // the network's bridge interface, e.g. br-0123456789ab
};

inline constexpr std::uint16_t kHttpsPortOffset = 3;  // https_listen = tunnel_port + 3
inline constexpr std::uint16_t kDnsPortOffset = 4;    // dns.listen = tunnel_port + 4

// The engine's ports a sandbox may reach on the gateway, tunnel port first:
// CONNECT (tunnel_port), plain HTTP (+1), transparent HTTPS (+3) and DNS
// (+4). The management listener (+2) stays on loopback.
std::vector<std::uint16_t> sandbox_facing_ports(std::uint16_t tunnel_port);

// "SANDBOX-ISOLATION-<port>".
std::string port_chain(std::uint16_t tunnel_port);

// What `doctor` checks: each missing piece, as one line ("ip6tables: INPUT
// does not jump from br-x to SANDBOX-ISOLATION"); empty when all is there.
std::vector<std::string> firewall_problems(const FirewallSpec& spec, IptablesRunner& run);

// Idempotent: the per-port chain is rebuilt from scratch; the shared chain's
// rules and the INPUT jump are added once. Direct port rules left in the
// shared chain by an older version are deleted.
util::Result<void> install_firewall(const FirewallSpec& spec, IptablesRunner& run);
// Removes this tunnel port's chain; when no other per-port chain is left, the
// INPUT jump(s) for `subnet` and the shared chain too. tunnel_port 0 (a
// record from an older version) removes everything. Absent rules are not an
// error.
util::Result<void> remove_firewall(const FirewallSpec& spec, IptablesRunner& run);

// Where setup records "<subnet> <tunnel port> <bridge> <gateway>", so
// `disable` can remove the rules and `start` re-apply them without asking
// Docker.
inline std::filesystem::path firewall_state_path(const Paths& paths) {
  return paths.state_dir() / "firewall.subnet";
}

// The recorded spec; nullopt when nothing is recorded. An older record has
// no bridge (and maybe no port: 0).
util::Result<std::optional<FirewallSpec>> read_firewall_record(const Paths& paths);
util::Result<void> write_firewall_record(const Paths& paths, const FirewallSpec& spec);

// `disable`: removes the rule recorded by setup (nothing recorded: no-op).
// Returns the subnet it unprotected, or "" when there was none.
util::Result<std::string> remove_recorded_firewall(const Paths& paths, IptablesRunner& run);

// `start`: re-installs the recorded rules (after a reboot or a dockerd
// restart flushed them); false when nothing is recorded or the record is
// from an older version (run setup again).
util::Result<bool> reapply_recorded_firewall(const Paths& paths, IptablesRunner& run);

}  // namespace sr::egress
