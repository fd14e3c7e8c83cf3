#include "cli/docker_commands.hpp"

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "docker/client.hpp"
#include "runtime/egress_network.hpp"
#include "runtime/egress_plan.hpp"

namespace sr::runtime {

using nlohmann::json;

int cmd_egress_setup(std::span<const std::string> args) {
  std::unique_ptr<DockerSandboxNetwork> network;
  if (auto client = docker::Client::from_env()) network = std::make_unique<DockerSandboxNetwork>(std::move(*client));
  return egress::cmd_setup(args, network.get());
}

int cmd_egress_rotate_ca(std::span<const std::string> args) {
  auto list = []() -> util::Result<std::vector<std::string>> {
    SR_ASSIGN(auto client, docker::Client::from_env());
    SR_ASSIGN(auto found, client->list_containers({{"label", {std::string(kFingerprintLabel)}}}));
    std::vector<std::string> out;
    for (const auto& c : found.is_array() ? found : json::array()) {
      std::string name = c.value("Names", json::array()).empty()
                             ? "" : c["Names"][0].get<std::string>();
      if (name.starts_with("/")) name.erase(0, 1);
      out.push_back(name + " (" + c.value("Id", "").substr(0, 12) + ")");
    }
    return out;
  };
  return egress::cmd_rotate_ca(args, list);
}

}  // namespace sr::runtime
