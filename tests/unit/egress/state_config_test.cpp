#include <catch2/catch.hpp>

#include "egress/config.hpp"
#include "state_test_support.hpp"

using namespace sr::egress;
using sr_test::slurp;
using sr_test::spit;

TEST_CASE("config: a missing file gives the defaults") {
  sr_test::TempDir d;
  auto c = load_config(d.path / "config.yaml");
  REQUIRE(c);
  CHECK_FALSE(c->proxy.enabled);
  CHECK(c->proxy.engine == Engine::builtin);
  CHECK(c->proxy.tunnel_port == 9090);
  CHECK(c->proxy.auto_install);
  CHECK(c->proxy.enforce);
  CHECK_FALSE(c->proxy.allow_env_fallback);
  CHECK_FALSE(c->proxy.upstream_deny_cidrs.has_value());
  CHECK(c->proxy.isolation == Isolation::internal);
}

TEST_CASE("config: values, docker_env, unknown keys reported with their position") {
  sr_test::TempDir d;
  spit(d.path / "config.yaml",
       "proxy:\n  enabled: true\n  engine: iron-proxy\n  tunnel_port: 8000\n  bogus: 1\n"
       "  extra_allowed_hosts: [Example.COM, '*.corp.example']\n  upstream_deny_cidrs: []\n"
       "  isolation: bridge\ndocker_env:\n  FOO: bar\nmystery: {}\n");
  auto c = load_config(d.path / "config.yaml");
  REQUIRE(c);
  CHECK(c->proxy.enabled);
  CHECK(c->proxy.engine == Engine::iron_proxy);
  CHECK(c->proxy.tunnel_port == 8000);
  CHECK(c->proxy.isolation == Isolation::bridge);
  REQUIRE(c->proxy.upstream_deny_cidrs.has_value());
  CHECK(c->proxy.upstream_deny_cidrs->empty());
  CHECK(c->proxy.extra_allowed_hosts == std::vector<std::string>{"example.com", "*.corp.example"});
  CHECK(c->docker_env.at("FOO") == "bar");
  REQUIRE(c->warnings.size() == 2);
  CHECK(c->warnings[0] == (d.path / "config.yaml").string() + ":5:3: unknown key 'proxy.bogus' (ignored)");
  CHECK(c->warnings[1].find(":11:1: unknown key 'mystery'") != std::string::npos);
}

TEST_CASE("config: malformed YAML is reported as path:line:col") {
  sr_test::TempDir d;
  spit(d.path / "config.yaml", "proxy:\n  enabled: [true\n");
  auto c = load_config(d.path / "config.yaml");
  REQUIRE_FALSE(c);
  CHECK(c.error().message.rfind((d.path / "config.yaml").string() + ":", 0) == 0);
  CHECK(c.error().message.find(":3:") != std::string::npos);
}

TEST_CASE("config: invalid values name the key and the entry") {
  sr_test::TempDir d;
  auto p = d.path / "config.yaml";
  spit(p, "proxy:\n  tunnel_port: 65534\n");
  auto port = load_config(p);
  REQUIRE_FALSE(port);
  CHECK(port.error().message.find(":2:16: proxy.tunnel_port") != std::string::npos);

  spit(p, "proxy:\n  extra_allowed_hosts:\n    - ok.example\n    - https://x.example/path\n");
  auto host = load_config(p);
  REQUIRE_FALSE(host);
  CHECK(host.error().message.find(":4:7:") != std::string::npos);
  CHECK(host.error().message.find("'https://x.example/path'") != std::string::npos);

  for (const char* bad : {"host.example:8080", "a b.example", "x.example/p"}) {
    spit(p, std::string("proxy:\n  extra_allowed_hosts: ['") + bad + "']\n");
    auto r = load_config(p);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(bad) != std::string::npos);
  }

  spit(p, "proxy:\n  upstream_deny_cidrs: [10.0.0.0/8, 192.168.1.1]\n");
  auto cidr = load_config(p);
  REQUIRE_FALSE(cidr);
  CHECK(cidr.error().message.find("'192.168.1.1'") != std::string::npos);
  CHECK(cidr.error().message.find("prefix") != std::string::npos);

  spit(p, "proxy:\n  engine: nginx\n");
  REQUIRE_FALSE(load_config(p));
}

TEST_CASE("config: saving rewrites only the owned keys and keeps the rest") {
  sr_test::TempDir d;
  auto p = d.path / "config.yaml";
  spit(p, "proxy:\n  enforce: false\n  custom_thing: [1, 2]\n  tunnel_port: 9000\n"
          "docker_env:\n  A: b\nother_tool:\n  x: y\n");
  auto c = load_config(p);
  REQUIRE(c);
  c->proxy.enabled = true;
  c->proxy.tunnel_port = 1234;  // not in the key list: must not be written
  const ProxyKey keys[] = {ProxyKey::enabled};
  REQUIRE(save_proxy_keys(p, c->proxy, keys));
  auto again = load_config(p);
  REQUIRE(again);
  CHECK(again->proxy.enabled);
  CHECK_FALSE(again->proxy.enforce);
  CHECK(again->proxy.tunnel_port == 9000);
  CHECK(again->docker_env.at("A") == "b");
  auto text = slurp(p);
  CHECK(text.find("custom_thing") != std::string::npos);
  CHECK(text.find("other_tool") != std::string::npos);
  CHECK(sr_test::mode_of(p) == 0600);
}

TEST_CASE("config: a malformed file is never overwritten") {
  sr_test::TempDir d;
  auto p = d.path / "config.yaml";
  spit(p, "proxy: [unclosed\n");
  ProxySettings s;
  const ProxyKey keys[] = {ProxyKey::enabled};
  REQUIRE_FALSE(save_proxy_keys(p, s, keys));
  CHECK(slurp(p) == "proxy: [unclosed\n");
}

TEST_CASE("config: a symlink at config.yaml is refused, its target untouched") {
  sr_test::TempDir d;
  spit(d.path / "real.yaml", "proxy:\n  enabled: false\n");
  std::filesystem::create_symlink(d.path / "real.yaml", d.path / "config.yaml");
  ProxySettings s;
  s.enabled = true;
  const ProxyKey keys[] = {ProxyKey::enabled};
  auto r = save_proxy_keys(d.path / "config.yaml", s, keys);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find((d.path / "config.yaml").string()) != std::string::npos);
  CHECK(slurp(d.path / "real.yaml") == "proxy:\n  enabled: false\n");
}

TEST_CASE("config: the sandbox section (allow_unsafe items, runtime, sandbox-to-sandbox)") {
  auto c = parse_config("sandbox:\n  allow_unsafe: [privileged, docker_socket]\n  runtime: runsc\n"
                        "  allow_sandbox_to_sandbox: true\n",
                        "c.yaml");
  REQUIRE(c);
  CHECK(c->sandbox.allow_unsafe == std::vector<std::string>{"privileged", "docker_socket"});
  CHECK(c->sandbox.runtime == "runsc");
  CHECK(c->sandbox.allow_sandbox_to_sandbox);
  CHECK(parse_config("", "c.yaml")->sandbox.allow_unsafe.empty());
  auto typo = parse_config("sandbox:\n  allow_unsafe: [privileged, dockr_socket]\n", "c.yaml");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message == "c.yaml:2:30: sandbox.allow_unsafe: unknown item 'dockr_socket' (see docs/user-guide.md)");
  CHECK(parse_config("sandbox:\n  colour: red\n", "c.yaml")->warnings.size() == 1);
}

TEST_CASE("config: the built-in engine's connection caps and idle timeouts become serve flags") {
  auto none = parse_config("proxy:\n  enabled: true\n", "c.yaml");
  REQUIRE(none);
  CHECK(serve_flags(none->proxy).empty());
  auto c = parse_config("proxy:\n  max_client_connections: 64\n  max_connections: 1000\n"
                        "  client_idle_timeout: 90s\n  websocket_idle_timeout: 15m\n",
                        "c.yaml");
  REQUIRE(c);
  CHECK(c->warnings.empty());
  CHECK(serve_flags(c->proxy) ==
        std::vector<std::string>{"--max-client-connections", "64", "--max-connections", "1000",
                                 "--client-idle", "1m30s", "--websocket-idle", "15m0s"});  // parsed once, passed in Go's form
  CHECK(parse_config("proxy:\n  max_client_connections: 0\n", "c.yaml").error().message ==
        "c.yaml:2:27: proxy.max_client_connections: expected an integer in 1..1000000");
  CHECK(parse_config("proxy:\n  client_idle_timeout: 0s\n", "c.yaml").error().message ==
        "c.yaml:2:24: proxy.client_idle_timeout: expected a duration above zero like 120s or 10m");
  CHECK_FALSE(parse_config("proxy:\n  websocket_idle_timeout: soon\n", "c.yaml"));
}
