// Docker networks: the facts of a bridge network as GET /networks/{name}
// reports them (the Client calls are in docker/client.hpp).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace sr::docker {

struct BridgeNetwork {
  std::string name;
  std::string id;
  bool internal = false;  // `Internal: true`: no route out of the host
  std::string subnet;     // the first IPv4 IPAM config, e.g. 172.30.0.0/16
  std::string gateway;    // its gateway: the host side of the bridge
  std::string bridge;     // the host interface, e.g. br-0123456789ab
  bool icc = true;        // containers on it reach each other
  bool ipv6 = false;      // EnableIPv6
};

// An inspect answer to BridgeNetwork. Errors when it has no IPv4 gateway.
util::Result<BridgeNetwork> bridge_network_from_inspect(const nlohmann::json& n);

}  // namespace sr::docker
