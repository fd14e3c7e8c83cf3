#include "runtime/egress_network.hpp"

#include "runtime/egress_plan.hpp"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "egress/bind_address.hpp"
#include "docker/client.hpp"
#include "egress/cli_util.hpp"
#include "egress/commands.hpp"

namespace sr::runtime {

namespace {

using nlohmann::json;

// Networks are a v1.24+ API; 1.41 is the oldest daemon the project supports.
constexpr std::string_view kApi = "/v1.41";

struct Range {
  uint32_t first = 0, last = 0;
};

std::optional<Range> ipv4_range(const std::string& cidr) {
  auto slash = cidr.find('/');
  in_addr a{};
  if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &a) != 1) return std::nullopt;
  int prefix = slash == std::string::npos ? 32 : std::atoi(cidr.c_str() + slash + 1);
  if (prefix < 0 || prefix > 32) return std::nullopt;
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  uint32_t base = ntohl(a.s_addr) & mask;
  return Range{base, base | ~mask};
}

util::Error api_error(const std::string& what, const docker::Response& r) {
  std::string msg = r.body;
  if (auto j = json::parse(r.body, nullptr, false); j.is_object() && j.contains("message"))
    msg = j["message"].get<std::string>();
  return util::Error{r.status == 404 ? util::ErrorKind::not_found
                     : r.status == 409 ? util::ErrorKind::conflict
                                       : util::ErrorKind::api,
                     what + ": " + std::to_string(r.status) + ": " + msg, 0};
}

}  // namespace

util::Result<egress::InternalNetwork> internal_network_from_inspect(const json& n) {
  const std::string name = n.value("Name", "");
  egress::InternalNetwork out;
  out.name = name;
  const auto& cfg = n.value("IPAM", json::object()).value("Config", json::array());
  for (const auto& c : cfg.is_array() ? cfg : json::array()) {
    if (!ipv4_range(c.value("Subnet", ""))) continue;
    out.subnet = c.value("Subnet", "");
    out.gateway = c.value("Gateway", "");
    break;
  }
  if (out.gateway.empty())
    return util::fail(util::ErrorKind::api, "network " + name + " has no IPv4 gateway");
  // The bridge driver names the interface br-<first 12 of the ID> unless the
  // network was created with an explicit name.
  const json opts = n.value("Options", json::object());
  out.bridge = opts.value("com.docker.network.bridge.name", "");
  if (out.bridge.empty()) out.bridge = "br-" + n.value("Id", "").substr(0, 12);
  out.icc = opts.value("com.docker.network.bridge.enable_icc", "true") != "false";
  out.ipv6 = n.value("EnableIPv6", false);
  return out;
}

DockerSandboxNetwork::DockerSandboxNetwork(std::unique_ptr<docker::Transport> transport,
                                           std::string name)
    : transport_(std::move(transport)), name_(std::move(name)) {}

util::Result<egress::InternalNetwork> DockerSandboxNetwork::inspect() {
  std::string what = "GET /networks/" + name_;
  SR_ASSIGN(auto r, transport_->perform({"GET", std::string(kApi) + "/networks/" + name_, ""}));
  if (r.status != 200) return std::unexpected(api_error(what, r));
  auto n = json::parse(r.body, nullptr, false);
  if (!n.is_object()) return util::fail(util::ErrorKind::api, what + ": unparseable answer");
  if (!n.value("Internal", false))
    return util::fail(util::ErrorKind::conflict,
                      "network " + name_ + " exists but is not internal; remove it with "
                      "'docker network rm " + name_ + "' and re-run setup");
  return internal_network_from_inspect(n);
}

// The subnet comes from the daemon's own address pools, as for
// `docker network create`: it never clashes with another Docker network and
// stays inside the ranges the daemon is configured to own.
util::Result<egress::InternalNetwork> DockerSandboxNetwork::create(bool icc) {
  json body = {{"Name", name_},
               {"CheckDuplicate", true},
               {"Driver", "bridge"},
               {"Internal", true},
               {"EnableIPv6", false},
               {"Options", {{"com.docker.network.bridge.enable_icc", icc ? "true" : "false"}}},
               {"IPAM", {{"Driver", "default"}}},
               {"Labels", {{"io.sandbox-run.egress", "internal"}}}};
  SR_ASSIGN(auto r, transport_->perform({"POST", std::string(kApi) + "/networks/create", body.dump()}));
  if (r.status != 409 && r.status != 201 && r.status != 200)  // 409: created concurrently
    return std::unexpected(api_error("POST /networks/create " + name_, r));
  SR_ASSIGN(auto net, inspect());
  net.created = r.status != 409;
  return net;
}

util::Result<egress::InternalNetwork> DockerSandboxNetwork::ensure_internal_network(bool icc) {
  auto found = inspect();
  if (found || found.error().kind != util::ErrorKind::not_found) return found;
  return create(icc);
}

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

int cmd_egress_setup(std::span<const std::string> args) {
  std::unique_ptr<DockerSandboxNetwork> network;
  if (auto endpoint = docker::endpoint_from_env()) {
    if (auto transport = docker::make_curl_transport(*endpoint)) {
      // An unreachable daemon is setup's own business (it names it); only an
      // answer that says Podman stops here.
      if (auto r = (*transport)->perform({"GET", std::string(kApi) + "/version", ""}); r && r->status == 200)
        if (auto refusal = unsupported_engine(json::parse(r->body, nullptr, false)))
          return egress::cli::error("setup: " + *refusal);
      network = std::make_unique<DockerSandboxNetwork>(std::move(*transport));
    }
  }
  return egress::cmd_setup(args, network.get());
}

int cmd_egress_rotate_ca(std::span<const std::string> args) {
  auto list = []() -> util::Result<std::vector<std::string>> {
    SR_ASSIGN(auto endpoint, docker::endpoint_from_env());
    SR_ASSIGN(auto transport, docker::make_curl_transport(endpoint));
    const json filters = {{"label", {std::string(kFingerprintLabel)}}};
    const std::string path = std::string(kApi) + "/containers/json?filters=" +
                             docker::url_encode(filters.dump());
    SR_ASSIGN(auto r, transport->perform({"GET", path, ""}));
    if (r.status != 200) return std::unexpected(api_error("GET /containers/json", r));
    std::vector<std::string> out;
    auto found = json::parse(r.body, nullptr, false);
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
