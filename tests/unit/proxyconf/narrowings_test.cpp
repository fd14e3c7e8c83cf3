// narrowings.json: the state file sandbox-run writes and the engine reads.
#include <catch2/catch.hpp>

#include "proxyconf/narrowings.hpp"

using sr::proxyconf::parse_narrowings;
using sr::proxyconf::render_narrowings;
using sr::proxyconf::SandboxNarrowing;

TEST_CASE("narrowings: render and parse round-trip", "[narrowings]") {
  std::vector<SandboxNarrowing> in{{"id1", "172.18.200.7", "profile docs", {"pypi.org", "*.example.test"}, 42, 7},
                                   {"id2", "172.18.200.8", "--egress-allow", {"api.openai.com"}, 43, 8}};
  auto out = parse_narrowings(render_narrowings(in), "n.json");
  REQUIRE(out);
  REQUIRE(out->size() == 2);
  CHECK((*out)[0].hosts == in[0].hosts);
  CHECK((*out)[1].address == "172.18.200.8");
  CHECK((*out)[1].owner_pid == 43);
}

TEST_CASE("narrowings: a file that could widen a sandbox does not load", "[narrowings]") {
  auto err = [](const std::string& text) {
    auto r = parse_narrowings(text, "n.json");
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(err("{") == "n.json: not valid JSON");
  CHECK(err(R"({"version":2,"sandboxes":[]})").find("version") != std::string::npos);
  CHECK(err(R"({"version":1,"sandboxes":[{"id":"a","address":"172.18.0.7","hosts":[]}]})") ==
        "n.json: sandboxes[0].hosts: expected a non-empty list of host names");
  CHECK(err(R"({"version":1,"sandboxes":[{"id":"a","address":"172.018.0.7","hosts":["x.test"]}]})") ==
        "n.json: sandboxes[0].address: expected an IPv4 address");
  CHECK(err(R"({"version":1,"sandboxes":[{"id":"a","address":"172.18.0.7","hosts":["x.test"]},)"
            R"({"id":"b","address":"172.18.0.7","hosts":["y.test"]}]})") ==
        "n.json: sandboxes[1].address: 172.18.0.7 is listed twice");
  CHECK(err(R"({"version":1,"sandboxes":[{"id":"a","address":"172.18.0.7","hosts":["x.test"],"extra":1}]})") ==
        "n.json: sandboxes[0]: unknown key 'extra'");
}
