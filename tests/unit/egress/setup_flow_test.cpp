// run_setup with fakes for the environment, the Docker network and the
// interfaces: golden proxy.yaml per variant, preservation, rotation, refusals.
#include <catch2/catch.hpp>

#include <regex>

#include "egress/config.hpp"
#include "egress/mappings.hpp"
#include "egress/setup.hpp"
#include "state_test_support.hpp"

using namespace sr::egress;
namespace fs = std::filesystem;

namespace {

const fs::path kGoldenDir = fs::path(SR_TEST_DATA_DIR).parent_path().parent_path() / "proxyconf" / "data";

struct FakeNetwork : SandboxNetwork {
  sr::util::Result<InternalNetwork> answer = InternalNetwork{"sandbox-egress", "10.213.37.0/24", "10.213.37.1", true, "br-0123456789ab", false, false};
  int calls = 0;
  sr::util::Result<InternalNetwork> ensure_internal_network(bool) override {
    ++calls;
    return answer;
  }
};

struct Harness {
  sr_test::TempDir dir;
  Paths paths{dir.path / "home"};
  FakeNetwork network;
  std::vector<std::string> infos, warnings;
  std::map<std::string, std::string> vars{{"OPENAI_API_KEY", "x"}, {"GOOGLE_API_KEY", "y"}};
  bool confirm = true;

  SetupEnv env() {
    SetupEnv e;
    e.presence = sr_test::present(vars);
    e.network = &network;
    e.interfaces = [] {
      return sr::util::Result<std::vector<InterfaceAddress>>(std::vector<InterfaceAddress>{
          {"lo", "127.0.0.1"}, {"docker0", "172.17.0.1"}, {"br-abc", "10.213.37.1"}});
    };
    e.confirm_rotation = [this] { return confirm; };
    e.info = [this](const std::string& s) { infos.push_back(s); };
    e.warn = [this](const std::string& s) { warnings.push_back(s); };
    return e;
  }
  sr::util::Result<void> run(const SetupOptions& o = {}) {
    auto e = env();
    return run_setup(paths, o, e);
  }
  void config(const std::string& text) {
    fs::create_directories(paths.home);
    sr_test::spit(paths.config(), text);
  }
  // proxy.yaml with the random parts (tokens, home path) replaced.
  std::string normalized_yaml() {
    std::string y = sr_test::slurp(paths.proxy_yaml());
    auto m = load_mappings(paths.mappings());
    REQUIRE(m);
    for (const auto& t : m->tokens) {
      std::string placeholder = "<TOKEN:" + t.env_name + ">";
      for (size_t pos; (pos = y.find(t.proxy_token)) != std::string::npos;)
        y.replace(pos, t.proxy_token.size(), placeholder);
    }
    std::string home = paths.home.string();
    for (size_t pos; (pos = y.find(home)) != std::string::npos;) y.replace(pos, home.size(), "<HOME>");
    return y;
  }
};

void check_golden(const std::string& actual, const std::string& name) {
  fs::path golden = kGoldenDir / name;
  if (std::getenv("SR_UPDATE_GOLDEN")) sr_test::spit(golden, actual);
  INFO("golden file " << golden.string() << " (SR_UPDATE_GOLDEN=1 rewrites it)");
  CHECK(actual == sr_test::slurp(golden));
}

}  // namespace

TEST_CASE("setup golden: default (builtin, internal isolation)") {
  Harness h;
  REQUIRE(h.run());
  CHECK(h.network.calls == 1);
  check_golden(h.normalized_yaml(), "setup_default.yaml");
}

TEST_CASE("setup golden: bridge isolation binds the docker0 gateway") {
  Harness h;
  SetupOptions o;
  o.isolation = Isolation::bridge;
  REQUIRE(h.run(o));
  CHECK(h.network.calls == 0);
  check_golden(h.normalized_yaml(), "setup_bridge.yaml");
}

TEST_CASE("setup golden: iron-proxy engine renders require: false") {
  Harness h;
  SetupOptions o;
  o.engine = Engine::iron_proxy;
  o.tunnel_port = 18080;
  REQUIRE(h.run(o));
  auto y = h.normalized_yaml();
  CHECK(y.find("require: true") == std::string::npos);
  check_golden(y, "setup_iron_proxy.yaml");
}

TEST_CASE("setup golden: custom hosts and custom deny list") {
  Harness h;
  h.config("proxy:\n  extra_allowed_hosts: [Internal.Example, '*.corp.example', api.openai.com]\n"
           "  upstream_deny_cidrs: [127.0.0.0/8, '::1/128']\n");
  REQUIRE(h.run());
  check_golden(h.normalized_yaml(), "setup_custom_hosts_deny.yaml");
}

TEST_CASE("setup golden: empty deny list") {
  Harness h;
  h.config("proxy:\n  upstream_deny_cidrs: []\n  isolation: bridge\n");
  REQUIRE(h.run());
  check_golden(h.normalized_yaml(), "setup_empty_deny.yaml");
}

TEST_CASE("setup: Docker unreachable falls back to the bridge with a warning") {
  Harness h;
  h.network.answer = sr::util::fail(sr::util::ErrorKind::connect, "connect /var/run/docker.sock: refused");
  REQUIRE(h.run());
  CHECK(sr_test::slurp(h.paths.proxy_yaml()).find("tunnel_listen: 172.17.0.1:9090") != std::string::npos);
  REQUIRE_FALSE(h.warnings.empty());
  CHECK(h.warnings[0].find("refused") != std::string::npos);
}

TEST_CASE("setup: modes under umask 000, enables egress, keeps other config") {
  Harness h;
  sr_test::Umask u(0);
  h.config("proxy:\n  enforce: false\nsomething_else: 42\n");
  REQUIRE(h.run());
  CHECK(sr_test::mode_of(h.paths.state_dir()) == 0700);
  CHECK(sr_test::mode_of(h.paths.ca_key()) == 0600);
  CHECK(sr_test::mode_of(h.paths.ca_cert()) == 0644);
  CHECK(sr_test::mode_of(h.paths.proxy_yaml()) == 0600);
  CHECK(sr_test::mode_of(h.paths.mappings()) == 0600);
  CHECK(sr_test::mode_of(h.paths.management_token()) == 0600);
  CHECK(sr_test::mode_of(h.paths.config()) == 0600);
  auto c = load_config(h.paths.config());
  REQUIRE(c);
  CHECK(c->proxy.enabled);
  CHECK_FALSE(c->proxy.enforce);
  CHECK(sr_test::slurp(h.paths.config()).find("something_else: 42") != std::string::npos);
}

TEST_CASE("setup: no provider found lists the names it looks for") {
  Harness h;
  h.vars = {{"AWS_ACCESS_KEY_ID", "x"}};
  auto r = h.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::not_found);
  CHECK(r.error().message.find("OPENAI_API_KEY") != std::string::npos);
  CHECK(r.error().message.find("GOOGLE_API_KEY") != std::string::npos);
  CHECK_FALSE(fs::exists(h.paths.proxy_yaml()));
  REQUIRE(h.warnings.size() == 1);
  CHECK(h.warnings[0].find("AWS_ACCESS_KEY_ID") != std::string::npos);
}

TEST_CASE("setup: re-run preserves tokens; rotation backs up and re-mints") {
  Harness h;
  REQUIRE(h.run());
  auto first = load_mappings(h.paths.mappings());
  REQUIRE(first);
  REQUIRE(first->tokens.size() == 2);
  std::string before = sr_test::slurp(h.paths.mappings());

  h.vars.erase("GOOGLE_API_KEY");
  REQUIRE(h.run());
  auto second = load_mappings(h.paths.mappings());
  REQUIRE(second->tokens.size() == 1);
  CHECK(second->tokens[0].proxy_token == first->tokens[0].proxy_token);

  h.confirm = false;
  SetupOptions rot;
  rot.tokens = TokenPolicy::rotate;
  REQUIRE_FALSE(h.run(rot));
  CHECK(load_mappings(h.paths.mappings())->tokens[0].proxy_token == first->tokens[0].proxy_token);

  h.confirm = true;
  std::string saved = sr_test::slurp(h.paths.mappings());
  REQUIRE(h.run(rot));
  auto third = load_mappings(h.paths.mappings());
  CHECK(third->tokens[0].proxy_token != first->tokens[0].proxy_token);
  int backups = 0;
  for (const auto& e : fs::directory_iterator(h.paths.state_dir())) {
    auto name = e.path().filename().string();
    if (name.rfind("mappings.json.rotated-", 0) != 0) continue;
    ++backups;
    CHECK(std::regex_match(name, std::regex(R"(mappings\.json\.rotated-\d{8}T\d{6})")));
    CHECK(sr_test::mode_of(e.path()) == 0600);
    CHECK(sr_test::slurp(e.path()) == saved);
  }
  CHECK(backups == 1);
}

TEST_CASE("setup: --rotate-tokens with nothing to rotate says so") {
  Harness h;
  SetupOptions rot;
  rot.tokens = TokenPolicy::rotate;
  REQUIRE(h.run(rot));
  bool said = false;
  for (const auto& i : h.infos) said = said || i.find("nothing to rotate") != std::string::npos;
  CHECK(said);
}

TEST_CASE("setup: corrupt mappings.json is an error and is left alone") {
  Harness h;
  REQUIRE(h.run());
  sr_test::spit(h.paths.mappings(), "{broken");
  auto r = h.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("corrupt") != std::string::npos);
  CHECK(sr_test::slurp(h.paths.mappings()) == "{broken");
}

TEST_CASE("setup: a symlink at any state path refuses, naming it, target untouched") {
  for (const char* name : {"ca.key", "ca.crt", "proxy.yaml", "mappings.json", "management.token"}) {
    Harness h;
    fs::create_directories(h.paths.state_dir());
    sr_test::spit(h.dir.path / "victim", "keep");
    fs::create_symlink(h.dir.path / "victim", h.paths.state_dir() / name);
    auto r = h.run();
    INFO(name);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find((h.paths.state_dir() / name).string()) != std::string::npos);
    CHECK(sr_test::slurp(h.dir.path / "victim") == "keep");
  }
  Harness h;
  fs::create_directories(h.paths.home);
  fs::create_directory(h.dir.path / "elsewhere");
  fs::create_directory_symlink(h.dir.path / "elsewhere", h.paths.state_dir());
  auto r = h.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find(h.paths.state_dir().string()) != std::string::npos);
  CHECK(fs::is_empty(h.dir.path / "elsewhere"));
}

namespace {

const char* const kDeclared =
    "secrets:\n"
    "  GITHUB_TOKEN:\n"
    "    hosts: [github.com, api.github.com]\n"
    "    carrier: [basic, bearer]\n"
    "    user: x-access-token\n"
    "  INTERNAL_KEY:\n"
    "    hosts: ['*.corp.example']\n"
    "    carrier: header\n"
    "    header: X-Internal-Key\n"
    "    match_body: true\n"
    "  MAPS_KEY:\n"
    "    hosts: [maps.example]\n"
    "    carrier: query\n"
    "    param: key\n";

}  // namespace

TEST_CASE("setup golden: enabled presets (built in and user-defined) render for both engines") {
  for (auto engine : {Engine::builtin, Engine::iron_proxy}) {
    Harness h;
    h.vars["GH_TOKEN"] = "ghp";  // the github preset's alias
    h.vars["NPM_TOKEN"] = "n";
    h.config("presets:\n  corp-npm:\n    hosts: [npm.corp.example]\n    credential: NPM_TOKEN\n"
             "proxy:\n  presets: [pypi, github, corp-npm]\n");
    SetupOptions o;
    o.engine = engine;
    REQUIRE(h.run(o));
    auto m = load_mappings(h.paths.mappings());
    REQUIRE(m);
    REQUIRE(m->tokens.size() == 4);
    CHECK(m->tokens[2].env_name == "GITHUB_TOKEN");
    CHECK(m->tokens[2].proxy_token.rfind("github-", 0) == 0);
    CHECK(m->tokens[3].env_name == "NPM_TOKEN");
    check_golden(h.normalized_yaml(), engine == Engine::builtin ? "setup_presets.yaml" : "setup_presets_iron.yaml");
  }
}

TEST_CASE("setup golden: declared secrets get tokens, join the allowlist, render for both engines") {
  for (auto engine : {Engine::builtin, Engine::iron_proxy}) {
    Harness h;
    h.vars["GITHUB_TOKEN"] = "ghp";
    h.vars["INTERNAL_KEY"] = "k";  // MAPS_KEY has no value: hosts allowed, no token
    h.config(kDeclared);
    SetupOptions o;
    o.engine = engine;
    REQUIRE(h.run(o));
    auto m = load_mappings(h.paths.mappings());
    REQUIRE(m);
    REQUIRE(m->tokens.size() == 4);
    CHECK(m->tokens[2].env_name == "GITHUB_TOKEN");
    CHECK(m->tokens[2].proxy_token.rfind("github-token-", 0) == 0);
    CHECK(m->tokens[2].match_headers == std::vector<std::string>{"Authorization"});
    check_golden(h.normalized_yaml(), engine == Engine::builtin ? "setup_declared_secrets.yaml"
                                                                : "setup_declared_secrets_iron.yaml");
  }
}

TEST_CASE("declared secrets: refusals name the config.yaml line") {
  auto refused = [](const std::string& text) {
    auto r = parse_config(text, "config.yaml");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == sr::util::ErrorKind::invalid_argument);
    return r.error().message;
  };
  CHECK(refused("secrets:\n  A_KEY:\n    hosts: [a.example]\n    carrier: cookie\n") ==
        "config.yaml:4:14: secrets.A_KEY.carrier: unknown carrier 'cookie' (expected bearer, header, query or basic)");
  CHECK(refused("secrets:\n  A_KEY:\n    hosts: []\n").find("config.yaml:3:12: secrets.A_KEY.hosts: expected a "
                                                         "non-empty list") == 0);
  CHECK(refused("secrets:\n  A_KEY:\n    carrier: bearer\n").find("secrets.A_KEY.hosts: expected a non-empty") !=
        std::string::npos);
  CHECK(refused("secrets:\n  A_KEY:\n    hosts: ['*.com']\n").find("config.yaml:3:13: secrets.A_KEY.hosts: '*.com' "
                                                              "is a wildcard on a bare top-level domain") == 0);
  CHECK(refused("secrets:\n  A_KEY:\n    hosts: [x.example]\n    carrier: header\n")
            .find("secrets.A_KEY: carrier header needs 'header: NAME'") != std::string::npos);
  CHECK(refused("secrets:\n  A_KEY:\n    hosts: [a.x.example]\n  B_KEY:\n    hosts: ['*.x.example']\n") ==
        "config.yaml:4:3: secrets.B_KEY: A_KEY already claims header Authorization on *.x.example; one credential "
        "per header and host");
  CHECK(refused("secrets:\n  MY_OPENAI:\n    hosts: [api.openai.com]\n").find(
            "config.yaml:2:3: secrets.MY_OPENAI: OPENAI_API_KEY already claims header Authorization") == 0);
  CHECK(refused("secrets:\n  OPENAI_API_KEY:\n    hosts: [x.example]\n").find("is a built-in provider") !=
        std::string::npos);
  CHECK(refused("secrets:\n  A_KEY:\n    hosts: [x.example]\n    match_bdy: true\n").find("unknown key 'match_bdy'") !=
        std::string::npos);
  // Different headers on one host, or one header on different hosts, are fine.
  CHECK(parse_config("secrets:\n  A_KEY:\n    hosts: [x.example]\n  B_KEY:\n    hosts: [x.example]\n"
                     "    carrier: header\n    header: X-B\n  C_KEY:\n    hosts: [y.example]\n",
                     "config.yaml"));
}
