// config.yaml edited in place: comments, order and unknown keys kept; YAML
// features the edit cannot keep refused naming the line.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "egress/config.hpp"
#include "egress/config_edit.hpp"

using namespace sr::egress;

namespace {

sr::util::Result<std::string> set(const std::string& text, std::vector<std::string> path, YAML::Node v) {
  const std::array edits = {ConfigEdit{std::move(path), std::move(v)}};
  return edit_config_text(text, "c.yaml", edits);
}

std::string refusal(const std::string& text) {
  auto r = set(text, {"proxy", "enabled"}, YAML::Node(true));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::invalid_argument);
  return r.error().message;
}

}  // namespace

TEST_CASE("config edit: a key's value changes in place, comments and order kept") {
  const std::string text =
      "# my settings\n"
      "proxy:\n"
      "  # the switch\n"
      "  enabled: false   # off for now\n"
      "  engine: builtin\n"
      "  custom: [1, 2]  # unknown, kept\n"
      "\n"
      "# env for every sandbox\n"
      "docker_env:\n"
      "  A: \"b # not a comment\"\n";
  auto r = set(text, {"proxy", "enabled"}, YAML::Node(true));
  REQUIRE(r);
  CHECK(*r ==
        "# my settings\n"
        "proxy:\n"
        "  # the switch\n"
        "  enabled: true   # off for now\n"
        "  engine: builtin\n"
        "  custom: [1, 2]  # unknown, kept\n"
        "\n"
        "# env for every sandbox\n"
        "docker_env:\n"
        "  A: \"b # not a comment\"\n");
}

TEST_CASE("config edit: a new key goes last in its section, before the comments of the next") {
  const std::string text = "proxy:\n    enabled: true\n\n# docker\ndocker_env:\n  A: b\n";
  auto r = set(text, {"proxy", "tunnel_port"}, YAML::Node(9100));
  REQUIRE(r);
  CHECK(*r == "proxy:\n    enabled: true\n    tunnel_port: 9100\n\n# docker\ndocker_env:\n  A: b\n");
  auto c = parse_config(*r, "c.yaml");
  REQUIRE(c);
  CHECK(c->proxy.tunnel_port == 9100);
}

TEST_CASE("config edit: a missing section or file is appended; a null section filled") {
  CHECK(*set("", {"proxy", "enabled"}, YAML::Node(true)) == "proxy:\n  enabled: true\n");
  CHECK(*set("# only a comment\n", {"proxy", "enabled"}, YAML::Node(true)) ==
        "# only a comment\nproxy:\n  enabled: true\n");
  CHECK(*set("proxy: ~  # later\nx: 1\n", {"proxy", "enabled"}, YAML::Node(true)) ==
        "proxy:  # later\n  enabled: true\nx: 1\n");
  CHECK(*set("proxy: {}\n", {"proxy", "enabled"}, YAML::Node(false)) == "proxy:\n  enabled: false\n");
  CHECK(*set("a: 1\r\n", {"proxy", "enabled"}, YAML::Node(true)) == "a: 1\r\nproxy:\r\n  enabled: true\r\n");
}

TEST_CASE("config edit: lists render in block style; removal drops the key's lines only") {
  YAML::Node hosts(YAML::NodeType::Sequence);
  hosts.push_back("a.example");
  hosts.push_back("b.example");
  auto r = set("proxy:\n  extra_allowed_hosts: [x.example]\n  enforce: true\n",
               {"proxy", "extra_allowed_hosts"}, hosts);
  REQUIRE(r);
  CHECK(*r == "proxy:\n  extra_allowed_hosts:\n    - a.example\n    - b.example\n  enforce: true\n");
  const std::array rm = {ConfigEdit{{"proxy", "extra_allowed_hosts"}, std::nullopt}};
  auto gone = edit_config_text(*r, "c.yaml", rm);
  REQUIRE(gone);
  CHECK(*gone == "proxy:\n  enforce: true\n");
}

TEST_CASE("config edit: features the edit cannot keep are refused naming the feature and line") {
  CHECK(refusal("proxy:\n  enabled: &on true\n") == "c.yaml:2: an anchor ('&on'): this edit cannot keep it; "
                                                    "change the file by hand");
  CHECK(refusal("a: &x 1\nb: *x\n").find("c.yaml:1: an anchor") == 0);
  CHECK(refusal("proxy:\n  enabled: !!bool true\n").find("c.yaml:2: a tag ('tag:yaml.org,2002:bool')") == 0);
  CHECK(refusal("proxy:\n  ? enabled\n  : true\n").find("c.yaml:2: an explicit key ('?')") == 0);
  CHECK(refusal("? proxy\n: {enabled: true}\n").find("c.yaml:1: an explicit key ('?')") == 0);
  CHECK(refusal("proxy: {enabled: false}\n").find("c.yaml:1: a flow mapping") == 0);
  CHECK(refusal("{proxy: {enabled: false}}\n").find("c.yaml:1: a flow mapping") == 0);
  CHECK(refusal("proxy:\n  enabled: false\n---\nx: 1\n").find("c.yaml:3: more than one document") == 0);
  CHECK(refusal("proxy:\n  enabled: false\n...\n").find("c.yaml:3: a document end marker") == 0);
  // A malformed file is an error, not a refusal to keep something.
  auto bad = set("proxy: [\n", {"proxy", "enabled"}, YAML::Node(true));
  REQUIRE_FALSE(bad);
}

TEST_CASE("config edit: flow values of other keys and a leading document marker are kept") {
  auto r = set("---\nproxy:\n  upstream_deny_cidrs: [\"127.0.0.0/8\",\n    \"::1/128\"]\n  enabled: false\n",
               {"proxy", "enabled"}, YAML::Node(true));
  REQUIRE(r);
  CHECK(*r == "---\nproxy:\n  upstream_deny_cidrs: [\"127.0.0.0/8\",\n    \"::1/128\"]\n  enabled: true\n");
}

TEST_CASE("config edit: top-level keys") {
  auto r = set("proxy:\n  enabled: true\n", {"sandbox_note"}, YAML::Node("hi"));
  REQUIRE(r);
  CHECK(*r == "proxy:\n  enabled: true\nsandbox_note: hi\n");
}
