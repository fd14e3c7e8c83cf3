// The seam through which setup obtains the project's internal Docker network
// (isolation: internal). egress does not know Docker: runtime supplies the
// implementation (runtime/egress_network.hpp); tests pass a fake.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::egress {

// The network sandboxes join when isolation is internal (`Internal: true`:
// no route out except through the proxy listening on its gateway).
inline constexpr std::string_view kInternalNetworkName = "sandbox-egress";

struct InternalNetwork {
  std::string name;
  std::string subnet;   // e.g. 172.30.0.0/16
  std::string gateway;  // host side of the bridge: where the proxy binds
  bool created = false; // created by this call (vs. found)
  std::string bridge;   // the host interface, e.g. br-0123456789ab
  bool icc = false;     // containers on it reach each other
  bool ipv6 = false;    // EnableIPv6
};

// nullopt when `net` has IPv6 off and ICC as wanted; else what is wrong and
// the commands that recreate it (a network's settings cannot be changed).
std::optional<std::string> network_mismatch(const InternalNetwork& net, bool icc_wanted);

class SandboxNetwork {
 public:
  virtual ~SandboxNetwork() = default;
  // Finds or creates the internal network (created with IPv6 off, and ICC
  // off unless `icc`). ErrorKind::connect when the Docker daemon is
  // unreachable.
  virtual util::Result<InternalNetwork> ensure_internal_network(bool icc) = 0;
};

}  // namespace sr::egress
