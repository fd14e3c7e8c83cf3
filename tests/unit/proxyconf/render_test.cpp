// render(): deterministic yaml-cpp output that iron-proxy v0.39 accepts and
// that parse() (the engine's reader) reads back to the same model.
#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iterator>

#include "proxyconf/proxy_config.hpp"

using namespace sr::proxyconf;

namespace {

ProxyConfig sample() {
  ProxyConfig c;
  c.tunnel_listen = "172.17.0.1:9090";
  c.http_listen = "172.17.0.1:9091";
  c.management_listen = "127.0.0.1:9092";
  c.management_api_key_env = "SANDBOX_EGRESS_MGMT_KEY";
  c.ca_cert = "/home/u/.sandbox-run/egress/ca.crt";
  c.ca_key = "/home/u/.sandbox-run/egress/ca.key";
  c.upstream_deny_cidrs = {"127.0.0.0/8", "::1/128", "::ffff:0:0/96"};
  c.allowlist = {"openrouter.ai", "*.openrouter.ai", "api.openai.com"};
  Secret s;
  s.source_var = "OPENAI_API_KEY";
  s.proxy_value = "openai-0123456789abcdef0123456789abcdef";
  s.match_headers = {"Authorization"};
  s.require = true;
  s.rule_hosts = {"api.openai.com"};
  c.secrets.push_back(s);
  Secret g;
  g.source_var = "GEMINI_API_KEY";
  g.proxy_value = "gemini-0123456789abcdef0123456789abcdef";
  g.match_headers = {"x-goog-api-key"};
  g.match_query = true;
  g.rule_hosts = {"generativelanguage.googleapis.com"};
  c.secrets.push_back(g);
  return c;
}

// SR_UPDATE_GOLDEN=1 rewrites the file from `actual` (then review the diff).
std::string golden(const std::string& name, const std::string& actual) {
  auto path = std::filesystem::path(SR_TEST_DATA_DIR) / name;
  if (std::getenv("SR_UPDATE_GOLDEN")) std::ofstream(path) << actual;
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("render: matches the golden file byte for byte, every time") {
  auto text = render(sample());
  CHECK(text == render(sample()));
  CHECK(text == golden("render_sample.yaml", text));
}

TEST_CASE("render: empty lists are [] and wildcards stay strings") {
  ProxyConfig c = sample();
  c.upstream_deny_cidrs.clear();
  c.secrets.clear();
  auto text = render(c);
  CHECK(text.find("upstream_deny_cidrs: []") != std::string::npos);
  CHECK(text.find("secrets: []") != std::string::npos);
  YAML::Node n = YAML::Load(text);
  CHECK(n["proxy"]["upstream_deny_cidrs"].IsSequence());
  CHECK(n["proxy"]["upstream_deny_cidrs"].size() == 0);
  CHECK(n["transforms"][0]["config"]["domains"][1].as<std::string>() == "*.openrouter.ai");
}

TEST_CASE("render: only iron-proxy v0.39 keys in the typed sections") {
  YAML::Node n = YAML::Load(render(sample()));
  std::vector<std::string> top;
  for (const auto& kv : n) top.push_back(kv.first.as<std::string>());
  CHECK(top == std::vector<std::string>{"dns", "proxy", "tls", "metrics", "management", "log",
                                        "transforms"});
  CHECK(n["dns"]["listen"].as<std::string>() == "127.0.0.1:0");
  CHECK(n["proxy"]["https_listen"].as<std::string>() == "127.0.0.1:0");
  CHECK(n["metrics"]["listen"].as<std::string>() == "127.0.0.1:0");
  CHECK_FALSE(n["log"]["audit_path"]);
  CHECK_FALSE(n["proxy"]["http_listens"]);
  CHECK(n["log"].size() == 1);
}

TEST_CASE("render: parse() reads back the same model") {
  ProxyConfig c = sample();
  auto back = parse(render(c), "rendered.yaml");
  REQUIRE(back);
  CHECK(back->tunnel_listen == c.tunnel_listen);
  CHECK(back->http_listen == c.http_listen);
  CHECK(back->management_listen == c.management_listen);
  CHECK(back->management_api_key_env == c.management_api_key_env);
  CHECK(back->upstream_deny_cidrs == c.upstream_deny_cidrs);
  CHECK(back->allowlist == c.allowlist);
  REQUIRE(back->secrets.size() == 2);
  CHECK(back->secrets[0].proxy_value == c.secrets[0].proxy_value);
  CHECK(back->secrets[0].require);
  CHECK(back->secrets[1].match_query);
  CHECK(back->secrets[1].rule_hosts == c.secrets[1].rule_hosts);
  CHECK(render(*back) == render(c));
}

TEST_CASE("render: every setup golden file is accepted by parse() and re-renders identically") {
  for (const char* name : {"setup_default.yaml", "setup_bridge.yaml", "setup_iron_proxy.yaml",
                           "setup_custom_hosts_deny.yaml", "setup_empty_deny.yaml"}) {
    INFO(name);
    auto path = std::filesystem::path(SR_TEST_DATA_DIR) / name;
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    auto model = parse(ss.str(), path.string());
    REQUIRE(model);
    CHECK(render(*model) == ss.str());
  }
}
