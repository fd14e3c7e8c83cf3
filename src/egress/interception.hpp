// Transparent interception on the internal egress network: the sandbox's
// TCP to port 443 and 80, and its DNS (UDP and TCP 53), are redirected to the
// engine's listeners on the gateway, so a client that ignores HTTPS_PROXY
// (Node's fetch before Node 24, Go or Rust programs with their own
// transports, ...) still goes through the proxy. Every other port stays
// rejected by the host firewall (firewall.hpp), and the internal network has
// no route out: QUIC (UDP 443) is dropped, clients fall back to TCP.
//
//   nat PREROUTING -i <bridge> -j SANDBOX-ISOLATION-NAT-<port>
//   SANDBOX-ISOLATION-NAT-<port>:
//     -p tcp --dport 443 -j DNAT --to-destination <gateway>:<port+3>  (https_listen)
//     -p tcp --dport 80  -j DNAT --to-destination <gateway>:<port+1>  (http_listen)
//     -p udp --dport 53  -j DNAT --to-destination <gateway>:<port+4>  (dns.listen)
//     -p tcp --dport 53  -j DNAT --to-destination <gateway>:<port+4>
//   filter SANDBOX-ISOLATION-<port> (the host firewall's per-port chain):
//     -p udp -d <gateway> --dport <port+4> -j ACCEPT
//
// Like the host rule, the match is the network's bridge interface, not a
// source address a sandbox could forge. The network has IPv6 off, so only
// iptables gets rules (ip6tables when the gateway is IPv6). The engine dials
// the name the request carries (SNI, Host), never the address the sandbox
// chose.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "egress/firewall.hpp"
#include "util/error.hpp"

namespace sr::egress {

struct InterceptionSpec {
  std::string bridge;    // the internal network's bridge interface, e.g. br-0123456789ab
  std::string gateway;   // where the engine listens
  std::uint16_t tunnel_port = 0;
};

// The interception for the network and port a host rule protects.
inline InterceptionSpec interception_spec(const FirewallSpec& spec) {
  return {spec.bridge, spec.gateway, spec.ports.empty() ? std::uint16_t{0} : spec.ports.front()};
}

// "SANDBOX-ISOLATION-NAT-<port>".
std::string nat_chain(std::uint16_t tunnel_port);

// The iptables (or ip6tables) commands' argument lists that add the rules,
// in order (exposed for tests and for doctor's check).
std::vector<std::vector<std::string>> interception_rules(const InterceptionSpec& spec);

// Fails (conflict) when another home's nat jump already takes the bridge's
// traffic: the first PREROUTING jump wins, so the second home's sandboxes
// would silently reach the first home's engine. The error names that chain
// (and so its tunnel port) and the command that removes a stale jump.
util::Result<void> check_no_foreign_interception(const InterceptionSpec& spec, IptablesRunner& run);

// Refuses like check_no_foreign_interception, else idempotent: the nat chain is rebuilt, the PREROUTING jump added once, the
// UDP accept appended to the per-port filter chain (rebuilt by
// install_firewall, so call this after it).
util::Result<void> install_interception(const InterceptionSpec& spec, IptablesRunner& run);

// Removes the jump(s) from `spec.bridge` and this port's nat chain; absent
// rules are not an error.
util::Result<void> remove_interception(const InterceptionSpec& spec, IptablesRunner& run);

// "" when every rule is in place, else what is missing (for doctor).
std::string check_interception(const InterceptionSpec& spec, IptablesRunner& run);

}  // namespace sr::egress
