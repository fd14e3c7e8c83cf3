// Inputs found by the libFuzzer targets (fuzz/fuzz_egress_config.cpp,
// fuzz/fuzz_mappings.cpp), kept as regression tests.
#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include "egress/config.hpp"
#include "egress/config_edit.hpp"
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

TEST_CASE("fuzz: a file with a repeated key is not rewritten; the error names the repetition") {
  // The rewrite changed the first `enabled:` while the loader read the
  // second; the file does not load, so it is refused and left as it was.
  sr_test::TempDir dir;
  const auto path = dir.path / "config.yaml";
  sr_test::spit(path, "proxy:\n  enabled: false\n  enabled: false\n");
  ProxySettings p;
  p.enabled = true;
  constexpr std::array keys = {ProxyKey::enabled};
  auto r = save_proxy_keys(path, p, keys);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("duplicate key 'proxy.enabled'") != std::string::npos);
  CHECK(sr_test::slurp(path) == "proxy:\n  enabled: false\n  enabled: false\n");
}

TEST_CASE("fuzz: config.yaml that is not UTF-8 is refused naming the line") {
  // yaml-cpp read the bytes, and its emitter wrote them back as U+FFFD when a
  // command rewrote the file: docker_env names and values changed silently.
  auto r = parse_config("proxy:\n  enabled: true\ndocker_env:\n  A: \"x\xff\"\n", "c.yaml");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::invalid_argument);
  CHECK(r.error().message == "c.yaml:4:1: invalid UTF-8 (the file must be UTF-8 text)");
  CHECK(parse_config("docker_env:\n  A: \"h\xC3\xA9llo \xF0\x9F\x94\x91\"\n", "c.yaml"));
}

TEST_CASE("fuzz: control characters in config.yaml are refused naming the line") {
  // A key holding NUL loaded (as an unknown key), but save_proxy_keys wrote a
  // file that no longer loaded.
  auto r = parse_config(std::string("proxy:\n  enabled: true\n  cred\0x: 1\n", 34), "c.yaml");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "c.yaml:3:1: control character 0x00 (not allowed in YAML)");
  CHECK(parse_config("proxy:\r\n\tenabled: true\r\n", "c.yaml").error().message.find("control") == std::string::npos);
}

TEST_CASE("fuzz: a lone carriage return in config.yaml is refused; CRLF line breaks are fine") {
  // yaml-cpp read "A\r: x" one way and wrote it back another: docker_env changed on rewrite.
  auto r = parse_config("docker_env:\n  A\r: x\n", "c.yaml");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "c.yaml:2:1: control character 0x0D (not allowed in YAML)");
  auto crlf = parse_config("docker_env:\r\n  A: x\r\n", "c.yaml");
  REQUIRE(crlf);
  CHECK(crlf->docker_env.at("A") == "x");
}

TEST_CASE("fuzz: an explicit '?' key with a tag is refused by the rewrite, the file kept as it was") {
  // The file loads; the rewrite through yaml-cpp's emitter wrote one that
  // failed with "end of map not found" (scripts/fuzz.sh 90 egress_config).
  const std::string text = "pyp:\n? !xrozy:tun \n :osxy:\n!nel_port: 65534\n";
  REQUIRE(parse_config(text, "config.yaml"));
  sr_test::TempDir dir;
  const auto path = dir.path / "config.yaml";
  sr_test::spit(path, text);
  ProxySettings p;
  p.enabled = true;
  constexpr std::array keys = {ProxyKey::enabled};
  auto r = save_proxy_keys(path, p, keys);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::invalid_argument);
  CHECK(r.error().message == path.string() + ":2: a tag ('!xrozy:tun'): this edit cannot keep it; "
                                             "change the file by hand");
  CHECK(sr_test::slurp(path) == text);
}

TEST_CASE("fuzz: removing a key of a section the file does not have leaves the text as it is") {
  // The check for "the section's last key" looked the missing section up on a
  // const node and threw YAML::InvalidNode (scripts/fuzz.sh egress_config,
  // inputs kept in fuzz/corpus/egress_config).
  const std::string text = "proxy:\n  engine: iron-proxy\n  bitwarden_token_env: BWS_TOKEN\n";
  const std::array edits = {ConfigEdit{{"secrets", "NONE"}, std::nullopt}};
  auto out = edit_config_text(text, "config.yaml", edits);
  REQUIRE(out);
  CHECK(*out == text);
  auto empty = edit_config_text("", "config.yaml", edits);
  REQUIRE(empty);
  CHECK(empty->empty());
}
