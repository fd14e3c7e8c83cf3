// Where an accepted connection was going before the firewall redirected it
// to the engine (a nat REDIRECT/DNAT of the egress network's port 443 or 80):
// the conntrack entry's original destination, read with
// getsockopt(SO_ORIGINAL_DST) (IPv4) or IP6T_SO_ORIGINAL_DST (IPv6).
//
// It is recorded in the audit line only. The engine never dials it: an
// intercepted request goes to its authority's own resolution (SNI or Host),
// so a sandbox cannot pick the address a swapped secret is sent to.
#pragma once

#include <string>

#include "proxy/net.hpp"

namespace sr::proxy {

// "ip:port" ("[v6]:port" for IPv6).
std::string address_text(const tcp::endpoint& endpoint);

// The original destination when the connection was redirected (it differs
// from the socket's local address); "" when it was not, or when the kernel
// keeps no conntrack entry for it (no nat rule ever matched).
std::string redirected_from(tcp::socket& socket);

}  // namespace sr::proxy
