// Per-sandbox narrowing in the engine: the table keyed by source address and
// the gate's host decision for a narrowed client (proxy/policy/narrowing.hpp).
#include "gate_fixture.hpp"
#include "proxy/policy/narrowing.hpp"

namespace {

using namespace gate_test;
using sr::proxy::NarrowingTable;
using sr::proxyconf::SandboxNarrowing;

Head get(std::string target, std::string host, std::vector<std::pair<std::string, std::string>> more = {}) {
  Head h;
  h.target = std::move(target);
  h.fields = {{"Host", std::move(host)}};
  for (auto& f : more) h.fields.push_back(std::move(f));
  return h;
}

NarrowingTable table(std::vector<std::string> hosts) {
  auto t = NarrowingTable::create({SandboxNarrowing{"a1", "172.18.200.7", "profile docs", std::move(hosts), 1, 1}});
  REQUIRE(t);
  return std::move(*t);
}

}  // namespace

TEST_CASE("narrowing: the table is keyed by the client's address", "[narrowing]") {
  auto t = table({"echo.test"});
  REQUIRE(t.find("172.18.200.7") != nullptr);
  CHECK(t.find("172.18.200.7")->label == "profile docs");
  CHECK(t.find("::ffff:172.18.200.7") != nullptr);  // a dual-stack listener's view of it
  CHECK(t.find("172.18.200.8") == nullptr);
  CHECK(t.find("") == nullptr);
  CHECK(NarrowingTable{}.find("172.18.200.7") == nullptr);
}

TEST_CASE("narrowing: an entry with an invalid host fails the load", "[narrowing]") {
  auto t = NarrowingTable::create({SandboxNarrowing{"a1", "172.18.200.7", "x", {"not a host!"}, 1, 1}});
  REQUIRE_FALSE(t);
  CHECK(t.error().message.find("narrowing a1 (172.18.200.7)") != std::string::npos);
}

TEST_CASE("narrowing: the gate refuses an allowlisted host outside the subset", "[narrowing]") {
  auto rules = make_rules();
  auto t = table({"echo.test", "*.allowed.test"});
  ConnContext ctx = tunnel_tls("api.openai.com");
  ctx.narrowing = t.find("172.18.200.7");
  const std::string bearer = "Bearer " + kToken;

  SECTION("a token for a provider outside the subset is refused before any swap") {
    auto v = check_request(get("/v1/models", "api.openai.com", {{"Authorization", bearer}}).view(), ctx, *rules);
    REQUIRE_FALSE(v);
    CHECK(v.error().status == 403);
    CHECK(v.error().reason == "host outside the sandbox's narrowing (profile docs)");
    CHECK(v.error().body.find("outside this sandbox's narrowing (profile docs)") != std::string::npos);
  }
  SECTION("the same request without the narrowing is forwarded with the real value") {
    ctx.narrowing = nullptr;
    auto v = check_request(get("/v1/models", "api.openai.com", {{"Authorization", bearer}}).view(), ctx, *rules);
    REQUIRE(v);
    CHECK(value(v->head, "authorization") == "Bearer " + kValue);
  }
  SECTION("hosts inside the subset pass, exact and wildcard") {
    ConnContext fwd = forward();
    fwd.narrowing = ctx.narrowing;
    CHECK(check_request(get("http://echo.test/x", "echo.test").view(), fwd, *rules));
    CHECK(check_request(get("http://a.allowed.test/x", "a.allowed.test").view(), fwd, *rules));
  }
  SECTION("a narrowing never widens: a subset host that is not allowlisted is still refused") {
    auto wide = NarrowingTable::create({SandboxNarrowing{"b", "172.18.200.9", "--egress-allow", {"other.test"}, 1, 1}});
    REQUIRE(wide);
    ConnContext fwd = forward();
    fwd.narrowing = wide->find("172.18.200.9");
    auto v = check_request(get("http://other.test/", "other.test").view(), fwd, *rules);
    REQUIRE_FALSE(v);
    CHECK(v.error().reason == "host not on the allowlist");
  }
}
