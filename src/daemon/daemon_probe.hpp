// Probes that tell whether the daemon really serves: a TCP connect to its
// listener, and whether the listening socket belongs to a given pid (so a
// foreign process holding the port is never mistaken for our daemon).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "util/error.hpp"
#include "util/host_port.hpp"

namespace sr::daemon {

using util::HostPort;

// The address a client dials to reach a listener configured as `listen`:
// "127.0.0.1:9090", "[::1]:9090", ":9090" and "0.0.0.0:9090" (-> 127.0.0.1),
// "[::]:9090" (-> ::1). The port is required and not 0.
util::Result<HostPort> dial_address(const std::string& listen);

// True when a TCP connection to `address` completes within `timeout`.
bool tcp_accepts(const HostPort& address, std::chrono::milliseconds timeout);

// True when a socket LISTENing on `port` (TCP, IPv4 or IPv6, per the
// kernel's sock_diag netlink interface, else /proc/net/tcp{,6}) is held open
// by process `pid` (per /proc/<pid>/fd).
bool listener_owned_by(pid_t pid, std::uint16_t port);

}  // namespace sr::daemon
