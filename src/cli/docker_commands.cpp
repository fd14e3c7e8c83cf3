#include "cli/docker_commands.hpp"

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "docker/client.hpp"
#include "runtime/egress_network.hpp"
#include "runtime/egress_plan.hpp"

namespace sr::cli {

using nlohmann::json;

namespace {

// Why egress cannot be set up on the engine whose GET /version answer this
// is (Podman), or nullopt for Docker Engine.
std::optional<std::string> unsupported_engine(const json& version) {
  const json components = version.value("Components", json::array());
  for (const auto& c : components.is_array() ? components : json::array()) {
    if (!c.is_object() || c.value("Name", "") != "Podman Engine") continue;
    return "the Docker endpoint is Podman " + c.value("Version", std::string("?")) +
           " (GET /version); egress needs what sandbox-egress only does with Docker Engine: an "
           "internal bridge network whose interface it can firewall (Podman's is cni-podmanN or "
           "podmanN, not br-<id>), and the engine reached as host-gateway (Podman's "
           "host.containers.internal); run sandbox-run without egress on Podman, or point "
           "DOCKER_HOST at a Docker Engine";
  }
  return std::nullopt;
}

}  // namespace

int cmd_egress_setup(std::span<const std::string> args) {
  std::unique_ptr<runtime::DockerSandboxNetwork> network;
  if (auto client = docker::Client::from_env()) {
    // An unreachable daemon is setup's own business (it names it); only an
    // answer that says Podman stops here.
    if (auto version = (*client)->version())
      if (auto refusal = unsupported_engine(*version)) return cli::error("setup: " + *refusal);
    network = std::make_unique<runtime::DockerSandboxNetwork>(std::move(*client));
  }
  return cli::cmd_setup(args, network.get());
}

int cmd_egress_rotate_ca(std::span<const std::string> args) {
  auto list = []() -> util::Result<std::vector<std::string>> {
    SR_ASSIGN(auto client, docker::Client::from_env());
    SR_ASSIGN(auto found, client->list_containers({{"label", {std::string(runtime::kFingerprintLabel)}}}));
    std::vector<std::string> out;
    for (const auto& c : found.is_array() ? found : json::array()) {
      std::string name = c.value("Names", json::array()).empty()
                             ? "" : c["Names"][0].get<std::string>();
      if (name.starts_with("/")) name.erase(0, 1);
      out.push_back(name + " (" + c.value("Id", "").substr(0, 12) + ")");
    }
    return out;
  };
  return cli::cmd_rotate_ca(args, list);
}

}  // namespace sr::cli
