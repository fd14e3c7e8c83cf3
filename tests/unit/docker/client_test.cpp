#include <catch2/catch.hpp>

#include "docker/client.hpp"
#include "fake_transport.hpp"

using namespace sr::docker;
using sr::docker::testing::Canned;
using sr::docker::testing::FakeTransport;
using sr::docker::testing::json_response;
using sr::util::ErrorKind;

namespace {

Response ping(std::string version) {
  Response r = json_response(200, "OK");
  if (!version.empty()) r.headers.emplace_back("Api-Version", version);
  return r;
}

struct Fixture {
  FakeTransport* fake = nullptr;
  std::unique_ptr<Client> client;

  explicit Fixture(std::vector<Canned> canned, std::string fixed = {}) {
    auto t = std::make_unique<FakeTransport>();
    t->canned = std::move(canned);
    fake = t.get();
    client = std::make_unique<Client>(std::move(t), std::move(fixed));
  }
};

}  // namespace

TEST_CASE("API versions compare numerically", "[client]") {
  CHECK(compare_api_versions("1.41", "1.43") < 0);
  CHECK(compare_api_versions("1.43", "1.43") == 0);
  CHECK(compare_api_versions("1.100", "1.43") > 0);
  CHECK(compare_api_versions("2.0", "1.43") > 0);
}

TEST_CASE("an older daemon's version is used from the ping header", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.41")}, {"GET", "/v1.41/containers/abc/json", json_response(200, R"({"Id":"abc"})")}});
  auto j = f.client->inspect_container("abc");
  REQUIRE(j);
  CHECK((*j)["Id"] == "abc");
  REQUIRE(f.fake->seen.size() == 2);
  CHECK(f.fake->seen[1].target == "/v1.41/containers/abc/json");
  // Negotiated once.
  REQUIRE(f.client->inspect_container("abc"));
  CHECK(f.fake->seen.size() == 3);
}

TEST_CASE("a newer daemon is spoken to at the client's newest version", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.47")}});
  auto v = f.client->api_version();
  REQUIRE(v);
  CHECK(*v == "1.43");
}

TEST_CASE("without the ping header the version comes from GET /version", "[client]") {
  Fixture f({{"GET", "/_ping", ping("")}, {"GET", "/version", json_response(200, R"({"ApiVersion":"1.40"})")}});
  auto v = f.client->api_version();
  REQUIRE(v);
  CHECK(*v == "1.40");
}

TEST_CASE("DOCKER_API_VERSION skips negotiation", "[client]") {
  Fixture f({{"POST", "/v1.30/containers/x/start", json_response(204, "")}}, "1.30");
  REQUIRE(f.client->start_container("x"));
  REQUIRE(f.fake->seen.size() == 1);
}

TEST_CASE("create sends name and platform and returns the id and warnings", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.41")},
             {"POST", "/v1.41/containers/create",
              json_response(201, R"({"Id":"0123abc","Warnings":["memory limit ignored"]})")}});
  nlohmann::json body = {{"Image", "busybox"}};
  auto c = f.client->create_container(body, CreateOptions{"my name", "linux/amd64"});
  REQUIRE(c);
  CHECK(c->id == "0123abc");
  CHECK(c->warnings == std::vector<std::string>{"memory limit ignored"});
  const auto& req = f.fake->seen.back();
  CHECK(req.target == "/v1.41/containers/create?name=my%20name&platform=linux%2Famd64");
  CHECK(nlohmann::json::parse(req.body) == body);
}

TEST_CASE("a daemon error keeps its message and kind", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.41")},
             {"POST", "/v1.41/containers/create",
              json_response(409, R"({"message":"Conflict. The container name \"/x\" is already in use"})")}});
  auto c = f.client->create_container(nlohmann::json::object(), CreateOptions{"x", ""});
  REQUIRE_FALSE(c);
  CHECK(c.error().kind == ErrorKind::conflict);
  CHECK(c.error().message ==
        R"(POST /containers/create: 409 Conflict: Conflict. The container name "/x" is already in use)");
}

TEST_CASE("a transport failure says which call failed", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.41")}});
  auto r = f.client->kill_container("abc", "15");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::connect);
  CHECK(r.error().message.starts_with("POST /containers/abc/kill: "));
  CHECK(f.fake->seen.back().target == "/v1.41/containers/abc/kill?signal=15");
}

TEST_CASE("start treats 304 as already started", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.41")}, {"POST", "/v1.41/containers/x/start", json_response(304, "")}});
  CHECK(f.client->start_container("x"));
}

TEST_CASE("remove, resize and attach build their queries", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.41")},
             {"DELETE", "/v1.41/containers/x", json_response(204, "")},
             {"POST", "/v1.41/containers/x/resize", json_response(200, "")}});
  REQUIRE(f.client->remove_container("x", Force::yes, RemoveVolumes::yes));
  CHECK(f.fake->seen.back().target == "/v1.41/containers/x?force=1&v=1");
  REQUIRE(f.client->resize_container("x", 24, 80));
  CHECK(f.fake->seen.back().target == "/v1.41/containers/x/resize?h=24&w=80");
  auto a = f.client->attach_container("x", AttachStreams{true, true, false});
  REQUIRE_FALSE(a);
  CHECK(a.error().kind == ErrorKind::not_found);
  CHECK(a.error().message == "POST /containers/x/attach: 404 Not Found: No such container: x");
  CHECK(f.fake->seen.back().target == "/v1.41/containers/x/attach?stream=1&stdin=1&stdout=1");
}

TEST_CASE("pull streams progress and fails on an error inside the stream", "[client]") {
  std::string ok_stream =
      "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\n"
      "{\"status\":\"Pull complete\",\"id\":\"a46fbb00284b\"}\n"
      "{\"status\":\"Status: Downloaded newer image for busybox:latest\"}\n";
  Fixture ok({{"GET", "/_ping", ping("1.41")}, {"POST", "/v1.41/images/create", json_response(200, ok_stream)}});
  std::vector<std::string> statuses;
  auto ref = parse_image_ref("127.0.0.1:5000/x/busybox");
  REQUIRE(ref);
  REQUIRE(ok.client->pull_image(*ref, "", [&](const nlohmann::json& m) { statuses.push_back(m["status"]); }));
  CHECK(statuses.size() == 3);
  CHECK(statuses[1] == "Pull complete");
  CHECK(ok.fake->seen.back().target == "/v1.41/images/create?fromImage=127.0.0.1%3A5000%2Fx%2Fbusybox&tag=latest");

  std::string bad_stream =
      "{\"status\":\"Pulling from x\",\"id\":\"latest\"}\n"
      "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n";
  Fixture bad({{"GET", "/_ping", ping("1.41")}, {"POST", "/v1.41/images/create", json_response(200, bad_stream)}});
  auto r = bad.client->pull_image(*ref, "", {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "pulling 127.0.0.1:5000/x/busybox:latest: manifest unknown");
}

TEST_CASE("wait returns the container's status code", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.41")},
             {"POST", "/v1.41/containers/x/wait?condition=removed", json_response(200, R"({"StatusCode":3,"Error":null})")}});
  auto w = f.client->wait_container("x", WaitCondition::removed);
  REQUIRE(w);
  auto outcome = (*w)->get();
  REQUIRE(outcome);
  CHECK(outcome->status_code == 3);
  CHECK(outcome->error.empty());
}

TEST_CASE("a wait the daemon refuses fails before start", "[client]") {
  Fixture f({{"GET", "/_ping", ping("1.41")},
             {"POST", "/v1.41/containers/gone/wait", json_response(404, R"({"message":"No such container: gone"})")}});
  auto w = f.client->wait_container("gone", WaitCondition::next_exit);
  REQUIRE_FALSE(w);
  CHECK(w.error().kind == ErrorKind::not_found);
}
