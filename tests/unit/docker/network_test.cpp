// Networks over the Client: the negotiated version on every call, the
// daemon's refusals as typed errors, a bridge network's inspect answer read.
#include <catch2/catch.hpp>

#include "docker/client.hpp"
#include "docker/network.hpp"
#include "fake_transport.hpp"

using namespace sr::docker;
using sr::docker::testing::FakeTransport;
using sr::docker::testing::json_response;
using sr::util::ErrorKind;

namespace {

std::unique_ptr<Client> client_with(FakeTransport*& fake, std::vector<sr::docker::testing::Canned> canned) {
  auto t = std::make_unique<FakeTransport>();
  t->canned = std::move(canned);
  fake = t.get();
  return std::make_unique<Client>(std::move(t), "1.43");
}

}  // namespace

TEST_CASE("network calls use the client's API version", "[network]") {
  FakeTransport* fake = nullptr;
  auto client = client_with(fake, {{"GET", "/v1.43/networks/sandbox-egress", json_response(200, R"({"Name":"x"})")},
                                   {"POST", "/v1.43/networks/create", json_response(201, R"({"Id":"abc"})")},
                                   {"GET", "/v1.43/containers/json", json_response(200, "[]")}});
  REQUIRE(client->inspect_network("sandbox-egress"));
  REQUIRE(client->create_network({{"Name", "sandbox-egress"}}));
  auto list = client->list_containers({{"label", {"io.x"}}});
  REQUIRE(list);
  CHECK(list->is_array());
  REQUIRE(fake->seen.size() == 3);
  CHECK(fake->seen[1].body == R"({"Name":"sandbox-egress"})");
  CHECK(fake->seen[2].target == "/v1.43/containers/json?filters=%7B%22label%22%3A%5B%22io.x%22%5D%7D");
}

TEST_CASE("a taken network name is a conflict; a missing network not_found, with the daemon's message", "[network]") {
  FakeTransport* fake = nullptr;
  auto client = client_with(
      fake, {{"POST", "/v1.43/networks/create", json_response(409, R"({"message":"network with name x already exists"})")},
             {"GET", "/v1.43/networks/x", json_response(404, R"({"message":"network x not found"})")}});
  auto made = client->create_network({{"Name", "x"}});
  REQUIRE_FALSE(made);
  CHECK(made.error().kind == ErrorKind::conflict);
  CHECK(made.error().message == "POST /networks/create: 409 Conflict: network with name x already exists");
  auto found = client->inspect_network("x");
  REQUIRE_FALSE(found);
  CHECK(found.error().kind == ErrorKind::not_found);
  CHECK(found.error().message == "GET /networks/x: 404 Not Found: network x not found");
}

TEST_CASE("a bridge network's inspect answer: first IPv4 subnet, bridge name, ICC, IPv6", "[network]") {
  auto n = nlohmann::json::parse(R"({
    "Name": "sandbox-egress", "Id": "0123456789abcdef", "Internal": true, "EnableIPv6": false,
    "IPAM": {"Config": [{"Subnet": "fd00::/64", "Gateway": "fd00::1"},
                        {"Subnet": "172.30.0.0/16", "Gateway": "172.30.0.1"}]},
    "Options": {"com.docker.network.bridge.enable_icc": "false"}})");
  auto b = bridge_network_from_inspect(n);
  REQUIRE(b);
  CHECK(b->internal);
  CHECK(b->subnet == "172.30.0.0/16");
  CHECK(b->gateway == "172.30.0.1");
  CHECK(b->bridge == "br-0123456789ab");
  CHECK_FALSE(b->icc);
  CHECK_FALSE(b->ipv6);

  n["Options"]["com.docker.network.bridge.name"] = "sr0";
  CHECK(bridge_network_from_inspect(n)->bridge == "sr0");
  n["IPAM"]["Config"] = nlohmann::json::array();
  auto none = bridge_network_from_inspect(n);
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "network sandbox-egress has no IPv4 gateway");
}
