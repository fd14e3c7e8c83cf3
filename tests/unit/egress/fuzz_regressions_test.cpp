// Inputs found by the libFuzzer targets (fuzz/fuzz_egress_config.cpp,
// fuzz/fuzz_mappings.cpp), kept as regression tests.
#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include "egress/config.hpp"
#include "state_test_support.hpp"

using namespace sr::egress;

TEST_CASE("fuzz: a key given twice in config.yaml is an error naming it") {
  // yaml-cpp keeps both entries: the loader took the last one while
  // save_proxy_keys (sandbox-egress enable/disable) rewrote the first, so a
  // rewrite could silently not take effect.
  auto r = parse_config("proxy:\n  enabled: false\n  tunnel_port: 9100\n  enabled: true\n", "c.yaml");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::invalid_argument);
  CHECK(r.error().message == "c.yaml:4:3: duplicate key 'proxy.enabled'");

  r = parse_config("proxy:\n  enabled: true\ndocker_env: {}\nproxy:\n  enabled: false\n", "c.yaml");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "c.yaml:4:1: duplicate key 'proxy'");

  r = parse_config("docker_env:\n  A: 1\n  A: 2\n", "c.yaml");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "c.yaml:3:3: duplicate key 'docker_env.A'");

  // The same names in different mappings are not duplicates.
  auto ok = parse_config("proxy:\n  enabled: true\ndocker_env:\n  enabled: x\n", "c.yaml");
  REQUIRE(ok);
  CHECK(ok->proxy.enabled);
  CHECK(ok->docker_env.at("enabled") == "x");
}

TEST_CASE("fuzz: after a rewrite of a file with a repeated key, loading names the repetition") {
  // save_proxy_keys changes the first `enabled:`; the load that follows must
  // not silently read the second one.
  sr_test::TempDir dir;
  const auto path = dir.path / "config.yaml";
  {
    std::ofstream f(path);
    f << "proxy:\n  enabled: false\n  enabled: false\n";
  }
  ProxySettings p;
  p.enabled = true;
  constexpr std::array keys = {ProxyKey::enabled};
  REQUIRE(save_proxy_keys(path, p, keys));
  auto loaded = load_config(path);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message.find("duplicate key 'proxy.enabled'") != std::string::npos);
}
