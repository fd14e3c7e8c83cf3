// Presets (egress/presets.hpp): built-in and user-defined, enabled through
// proxy.presets, validated like declared secrets; and their effect on the
// rendered allowlist and secrets.
#include <catch2/catch.hpp>

#include <algorithm>

#include "egress/config.hpp"
#include "egress/config_edit.hpp"
#include "egress/presets.hpp"

#include "config_refusal.hpp"

using namespace sr::egress;

namespace {

std::string refused(const std::string& text) { return sr_test::config_refusal(text); }

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("the built-in presets: pypi without a credential, github and huggingface with one") {
  const Preset* pypi = find_preset("pypi", {});
  REQUIRE(pypi);
  CHECK(pypi->hosts == std::vector<std::string>{"pypi.org", "files.pythonhosted.org"});
  CHECK_FALSE(pypi->credential);
  const Preset* gh = find_preset("github", {});
  REQUIRE(gh);
  REQUIRE(gh->credential);
  CHECK(gh->credential->env_name == "GITHUB_TOKEN");
  CHECK(gh->credential->aliases == std::vector<std::string>{"GH_TOKEN"});
  REQUIRE(gh->credential->carriers.size() == 2);
  CHECK(gh->credential->carriers[0].kind == CarrierKind::basic);
  CHECK(gh->credential->carriers[1].kind == CarrierKind::bearer);
  const Preset* hf = find_preset("huggingface", {});
  REQUIRE(hf);
  REQUIRE(hf->credential);
  CHECK(hf->credential->env_name == "HF_TOKEN");
  CHECK_FALSE(find_preset("nope", {}));
}

TEST_CASE("an enabled preset adds its hosts and its credential") {
  auto c = parse_config("proxy:\n  presets: [pypi, github]\n", "config.yaml");
  REQUIRE(c);
  CHECK(has(c->preset_hosts, "files.pythonhosted.org"));
  CHECK(has(c->preset_hosts, "codeload.github.com"));
  REQUIRE(c->secrets.size() == 1);
  CHECK(c->secrets[0].env_name == "GITHUB_TOKEN");
  CHECK(c->secrets[0].preset == "github");
}

TEST_CASE("user-defined presets: hosts and an optional credential shaped like a declared secret") {
  auto c = parse_config("presets:\n  corp-npm:\n    hosts: [npm.corp.example]\n    credential: NPM_TOKEN\n"
                        "    carrier: header\n    header: X-Npm-Key\n  mirror:\n    hosts: ['*.mirror.example']\n"
                        "proxy:\n  presets: [corp-npm, mirror]\n",
                        "config.yaml");
  REQUIRE(c);
  REQUIRE(c->secrets.size() == 1);
  CHECK(c->secrets[0].env_name == "NPM_TOKEN");
  CHECK(c->secrets[0].carriers[0].name == "X-Npm-Key");
  CHECK(has(c->preset_hosts, "*.mirror.example"));
  // Defined but not enabled: nothing is added.
  auto off = parse_config("presets:\n  mirror:\n    hosts: [m.example]\n", "config.yaml");
  REQUIRE(off);
  CHECK(off->preset_hosts.empty());
}

TEST_CASE("presets are validated like declared secrets, naming the line") {
  CHECK(refused("proxy:\n  presets: [nope]\n") ==
        "config.yaml:2:13: proxy.presets: unknown preset 'nope' (built in: pypi, github, huggingface; or define "
        "it under presets:)");
  CHECK(refused("proxy:\n  presets: [pypi, pypi]\n").find("'pypi' is listed twice") != std::string::npos);
  CHECK(refused("presets:\n  x:\n    hosts: ['*.com']\n").find("config.yaml:3:13: presets.x.hosts: '*.com' is a "
                                                              "wildcard on a bare top-level domain") == 0);
  CHECK(refused("presets:\n  x:\n    hosts: []\n").find("presets.x.hosts: expected a non-empty list") !=
        std::string::npos);
  CHECK(refused("presets:\n  x:\n    hosts: [a.example]\n    carrier: bearer\n")
            .find("'carrier' needs a credential") != std::string::npos);
  CHECK(refused("presets:\n  x:\n    hosts: [a.example]\n    credential: T\n    carrier: cookie\n")
            .find("unknown carrier 'cookie'") != std::string::npos);
  CHECK(refused("presets:\n  pypi:\n    hosts: [a.example]\n").find("is a built-in preset") != std::string::npos);
  CHECK(refused("presets:\n  Bad_Name:\n    hosts: [a.example]\n").find("expected a preset name") !=
        std::string::npos);
  CHECK(refused("presets:\n  x:\n    hosts: [a.example]\n  x:\n    hosts: [b.example]\n") ==
        "config.yaml:4:3: presets.x: defined twice");
  CHECK(refused("presets: [x]\n") == "config.yaml:1:10: presets: expected a mapping of NAME: {hosts, credential}");
  // The github preset's credential and a declared one on the same header and host.
  CHECK(refused("secrets:\n  MY_GH:\n    hosts: [api.github.com]\nproxy:\n  presets: [github]\n") ==
        "config.yaml:5:13: proxy.presets: github: MY_GH already claims header Authorization on api.github.com; "
        "one credential per header and host");
  CHECK(refused("secrets:\n  GITHUB_TOKEN:\n    hosts: [x.example]\nproxy:\n  presets: [github]\n")
            .find("GITHUB_TOKEN is already declared") != std::string::npos);
}

TEST_CASE("removing a section's last key removes the section (it would read back as null)") {
  const ConfigEdit rm{{"secrets", "A_KEY"}, std::nullopt};
  auto out = edit_config_text("# keep\nsecrets:\n  A_KEY:\n    hosts: [a.example]\nproxy:\n  enabled: true\n",
                              "config.yaml", std::span(&rm, 1));
  REQUIRE(out);
  CHECK(*out == "# keep\nproxy:\n  enabled: true\n");
}
