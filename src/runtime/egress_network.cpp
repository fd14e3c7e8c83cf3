#include "runtime/egress_network.hpp"

#include <nlohmann/json.hpp>

#include "docker/client.hpp"
#include "docker/network.hpp"

namespace sr::runtime {

using nlohmann::json;

util::Result<egress::InternalNetwork> internal_network_from_inspect(const json& n) {
  SR_ASSIGN(auto bridge, docker::bridge_network_from_inspect(n));
  egress::InternalNetwork out;
  out.name = bridge.name;
  out.subnet = bridge.subnet;
  out.gateway = bridge.gateway;
  out.bridge = bridge.bridge;
  out.icc = bridge.icc;
  out.ipv6 = bridge.ipv6;
  return out;
}

DockerSandboxNetwork::DockerSandboxNetwork(std::unique_ptr<docker::Client> client, std::string name)
    : client_(std::move(client)), name_(std::move(name)) {}

util::Result<egress::InternalNetwork> DockerSandboxNetwork::inspect() {
  SR_ASSIGN(auto n, client_->inspect_network(name_));
  if (!n.is_object()) return util::fail(util::ErrorKind::api, "GET /networks/" + name_ + ": unparseable answer");
  if (!n.value("Internal", false))
    return util::fail(util::ErrorKind::conflict,
                      "network " + name_ + " exists but is not internal; remove it with "
                      "'docker network rm " + name_ + "' and re-run setup");
  return internal_network_from_inspect(n);
}

namespace {

json network_body(const std::string& name, bool icc, const json& ipam_config) {
  json ipam = {{"Driver", "default"}};
  if (!ipam_config.empty()) ipam["Config"] = ipam_config;
  return {{"Name", name},
          {"CheckDuplicate", true},
          {"Driver", "bridge"},
          {"Internal", true},
          {"EnableIPv6", false},
          {"Options", {{"com.docker.network.bridge.enable_icc", icc ? "true" : "false"}}},
          {"IPAM", ipam},
          {"Labels", {{"io.sandbox-run.egress", "internal"}}}};
}

}  // namespace

// The subnet comes from the daemon's own address pools, as for
// `docker network create`: it never clashes with another Docker network and
// stays inside the ranges the daemon is configured to own. The network is
// then made again with that subnet and gateway written in, because Docker
// gives a container a fixed address (`--egress-allow`'s narrowing registers
// one) only on a network whose subnet was given at creation. Nothing is
// attached to it in between; a failure leaves no network behind.
util::Result<egress::InternalNetwork> DockerSandboxNetwork::create(bool icc) {
  auto made = client_->create_network(network_body(name_, icc, json::array()));
  // A conflict: created concurrently.
  if (!made && made.error().kind != util::ErrorKind::conflict)
    return std::unexpected(std::move(made.error()).context("creating network " + name_));
  if (made) {
    SR_ASSIGN(auto chosen, inspect());
    SR_TRY(util::with_context(client_->remove_network(name_), "re-creating network " + name_));
    json config = json::array({{{"Subnet", chosen.subnet}, {"Gateway", chosen.gateway}}});
    SR_TRY(util::with_context(client_->create_network(network_body(name_, icc, config)),
                              "creating network " + name_ + " with subnet " + chosen.subnet));
  }
  SR_ASSIGN(auto net, inspect());
  net.created = made.has_value();
  return net;
}

util::Result<egress::InternalNetwork> DockerSandboxNetwork::ensure_internal_network(bool icc) {
  auto found = inspect();
  if (found || found.error().kind != util::ErrorKind::not_found) return found;
  return create(icc);
}

}  // namespace sr::runtime
