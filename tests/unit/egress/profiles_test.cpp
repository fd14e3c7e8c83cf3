// Per-sandbox narrowing profiles (egress/profiles.hpp): parsing from
// config.yaml with line numbers, and the intersection with the allowlist.
#include <catch2/catch.hpp>

#include "egress/config.hpp"
#include "egress/profiles.hpp"

#include "config_refusal.hpp"

using namespace sr::egress;

namespace {

std::string refused(const std::string& text) { return sr_test::config_refusal(text); }

const std::vector<std::string> kAllow{"api.openai.com", "pypi.org", "files.pythonhosted.org", "*.corp.example"};

std::string narrow_error(const NarrowRequest& req, const std::vector<Profile>& profiles) {
  auto r = resolve_narrowing(req, profiles, kAllow, "/h/config.yaml");
  REQUIRE_FALSE(r);
  return r.error().message;
}

}  // namespace

TEST_CASE("profiles: parsed from config.yaml with the line that defines each") {
  auto c = parse_config("proxy:\n  enabled: true\nprofiles:\n  docs:\n    allow: [PyPI.org, files.pythonhosted.org]\n"
                        "  corp:\n    allow:\n      - '*.corp.example'\n",
                        "config.yaml");
  REQUIRE(c);
  REQUIRE(c->profiles.size() == 2);
  CHECK(c->profiles[0].name == "docs");
  CHECK(c->profiles[0].allow == std::vector<std::string>{"pypi.org", "files.pythonhosted.org"});
  CHECK(c->profiles[0].config_line == 4);
  CHECK(c->profiles[1].allow == std::vector<std::string>{"*.corp.example"});
  CHECK(c->warnings.empty());
}

TEST_CASE("profiles: invalid definitions are refused with their line") {
  CHECK(refused("profiles:\n  Docs:\n    allow: [pypi.org]\n") ==
        "config.yaml:2:3: profiles.Docs: expected a profile name of lowercase letters, digits and '-'");
  CHECK(refused("profiles:\n  docs:\n    allow: []\n") ==
        "config.yaml:3:12: profiles.docs.allow: expected a non-empty list of hosts");
  CHECK(refused("profiles:\n  docs:\n    hosts: [pypi.org]\n") ==
        "config.yaml:3:5: profiles.docs: unknown key 'hosts' (expected allow)");
  CHECK(refused("profiles:\n  docs:\n    allow: ['https://pypi.org']\n").starts_with("config.yaml:3:13: profiles.docs.allow: "));
  CHECK(refused("profiles:\n  docs:\n    allow: ['*.com']\n").find("bare top-level domain") != std::string::npos);
  CHECK(refused("profiles: [docs]\n") == "config.yaml:1:11: profiles: expected a mapping of NAME: {allow: [hosts]}");
  CHECK(refused("profiles:\n  docs:\n    allow: [pypi.org]\n  docs:\n    allow: [a.example]\n") ==
        "config.yaml:4:3: profiles.docs: defined twice");
}

TEST_CASE("narrowing: an intersection with the allowlist, never an addition") {
  std::vector<Profile> profiles{{"docs", {"pypi.org", "files.pythonhosted.org"}, 4},
                                {"wide", {"pypi.org", "evil.test"}, 9}};
  SECTION("a profile and --egress-allow combine, each host once") {
    auto r = resolve_narrowing({{"PYPI.org", "a.corp.example"}, {"docs"}}, profiles, kAllow, "/h/config.yaml");
    REQUIRE(r);
    CHECK(r->hosts == std::vector<std::string>{"pypi.org", "files.pythonhosted.org", "a.corp.example"});
    CHECK(r->label == "profile docs + --egress-allow");
  }
  SECTION("a wildcard inside an allowlisted wildcard is a subset") {
    auto r = resolve_narrowing({{"*.corp.example", "*.x.corp.example"}, {}}, profiles, kAllow, "c");
    REQUIRE(r);
    CHECK(r->label == "--egress-allow");
  }
  SECTION("a host that is not allowlisted is an error naming it") {
    CHECK(narrow_error({{"evil.test"}, {}}, profiles) ==
          "--egress-allow evil.test: host evil.test is not on the egress allowlist; a narrowing can only remove "
          "hosts (add it first with `sandbox-egress allow evil.test`)");
    CHECK(narrow_error({{}, {"wide"}}, profiles).starts_with(
        "--egress-profile wide (/h/config.yaml:9): host evil.test is not on the egress allowlist"));
    // A wildcard is wider than any exact entry, and an apex is not inside its wildcard.
    CHECK_FALSE(within_allowlist("*.openai.com", kAllow));
    CHECK_FALSE(within_allowlist("corp.example", kAllow));
    CHECK_FALSE(within_allowlist("*.example", kAllow));
  }
  SECTION("an unknown profile names the profile and where profiles are defined") {
    CHECK(narrow_error({{}, {"nope"}}, profiles) ==
          "--egress-profile nope: no such profile; profiles are defined under profiles: in /h/config.yaml "
          "(profiles: {NAME: {allow: [hosts]}})");
  }
  SECTION("an invalid host is an error naming the option") {
    CHECK(narrow_error({{"pypi.org:443"}, {}}, profiles).starts_with("--egress-allow pypi.org:443: "));
  }
}
