// The Docker side of egress setup: implements egress::SandboxNetwork on
// docker::Client's network calls (egress must not know Docker; runtime
// composes the two).
#pragma once

#include <optional>

#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "docker/client.hpp"
#include "egress/network_seam.hpp"

namespace sr::runtime {

// Finds the internal network by name (it must be `Internal: true`), else
// creates it with a subnet from the daemon's own address pools.
class DockerSandboxNetwork final : public egress::SandboxNetwork {
 public:
  explicit DockerSandboxNetwork(std::unique_ptr<docker::Client> client,
                                std::string name = std::string(egress::kInternalNetworkName));
  util::Result<egress::InternalNetwork> ensure_internal_network(bool icc) override;
  util::Result<egress::InternalNetwork> inspect();

 private:
  util::Result<egress::InternalNetwork> create(bool icc);

  std::unique_ptr<docker::Client> client_;
  std::string name_;
};

// A GET /networks/{name} answer to what egress needs: IPv4 subnet and
// gateway, the bridge interface, ICC and IPv6. Errors when it has no IPv4
// gateway.
util::Result<egress::InternalNetwork> internal_network_from_inspect(const nlohmann::json& n);

}  // namespace sr::runtime
