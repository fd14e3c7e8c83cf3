// Bind policy: never 0.0.0.0. The proxy listens where
// sandboxes can reach it and nothing else: the gateway of the internal
// network (isolation: internal), else the Docker bridge gateway (docker0),
// else loopback with a warning. Addresses read from the system are validated
// (private IPv4 only: not unspecified, loopback, multicast, link-local,
// reserved or public) before being used.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace sr::egress {

struct InterfaceAddress {
  std::string name;  // e.g. docker0
  std::string ipv4;  // dotted quad
};

// IPv4 addresses of the host's interfaces (getifaddrs).
util::Result<std::vector<InterfaceAddress>> list_interface_addresses();

// OK when `ip` is an RFC 1918 IPv4 address; otherwise an error saying why.
util::Result<void> validate_bind_address(const std::string& ip);

struct BindChoice {
  std::string address;
  std::string source;  // "internal network <name>", "docker0", "loopback"
  std::vector<std::string> warnings;
};

inline constexpr const char* kLoopback = "127.0.0.1";
inline constexpr const char* kBridgeInterface = "docker0";

// `gateway`: the internal network's gateway when isolation is internal and it
// was obtained; nullopt otherwise. `network_name` labels it in messages.
BindChoice choose_bind_address(const std::optional<std::string>& gateway,
                               const std::string& network_name,
                               const std::vector<InterfaceAddress>& interfaces);

}  // namespace sr::egress
