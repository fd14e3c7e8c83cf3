// Networks over the Engine API (a v1.24+ API, inside every version the
// client negotiates) and the reading of a bridge network's inspect answer.
#include "docker/network.hpp"

#include <arpa/inet.h>

#include "docker/client.hpp"
#include "docker/errors.hpp"

namespace sr::docker {

namespace {

using nlohmann::json;

bool is_ipv4_cidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  in_addr a{};
  if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &a) != 1) return false;
  int prefix = slash == std::string::npos ? 32 : std::atoi(cidr.c_str() + slash + 1);
  return prefix >= 0 && prefix <= 32;
}

}  // namespace

util::Result<BridgeNetwork> bridge_network_from_inspect(const json& n) {
  BridgeNetwork out;
  out.name = n.value("Name", "");
  out.id = n.value("Id", "");
  out.internal = n.value("Internal", false);
  const auto& cfg = n.value("IPAM", json::object()).value("Config", json::array());
  for (const auto& c : cfg.is_array() ? cfg : json::array()) {
    if (!is_ipv4_cidr(c.value("Subnet", ""))) continue;
    out.subnet = c.value("Subnet", "");
    out.gateway = c.value("Gateway", "");
    break;
  }
  if (out.gateway.empty())
    return util::fail(util::ErrorKind::api, "network " + out.name + " has no IPv4 gateway");
  // The bridge driver names the interface br-<first 12 of the ID> unless the
  // network was created with an explicit name.
  const json opts = n.value("Options", json::object());
  out.bridge = opts.value("com.docker.network.bridge.name", "");
  if (out.bridge.empty()) out.bridge = "br-" + out.id.substr(0, 12);
  out.icc = opts.value("com.docker.network.bridge.enable_icc", "true") != "false";
  out.ipv6 = n.value("EnableIPv6", false);
  return out;
}

util::Result<json> Client::inspect_network(std::string_view name) {
  const std::string path = "/networks/" + std::string(name);
  SR_ASSIGN(Response r, call("GET", path, {}));
  SR_TRY(expect_status(r, "GET", path, {200}));
  return parse_json(r, "GET", path);
}

util::Result<void> Client::create_network(const json& body) {
  const char* path = "/networks/create";
  SR_ASSIGN(Response r, call("POST", path, {}, body.dump()));
  return expect_status(r, "POST", path, {201, 200});
}

util::Result<void> Client::remove_network(std::string_view name) {
  const std::string path = "/networks/" + std::string(name);
  SR_ASSIGN(Response r, call("DELETE", path, {}));
  return expect_status(r, "DELETE", path, {204, 200});
}

util::Result<json> Client::list_containers(const json& filters, All all) {
  const char* path = "/containers/json";
  SR_ASSIGN(Response r, call("GET", path, std::string(all == All::yes ? "all=1&" : "") + "filters=" +
                                              url_encode(filters.dump())));
  SR_TRY(expect_status(r, "GET", path, {200}));
  return parse_json(r, "GET", path);
}

}  // namespace sr::docker
