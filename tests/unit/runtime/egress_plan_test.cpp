#include <catch2/catch.hpp>

#include <algorithm>

#include "runtime/egress_plan.hpp"

using namespace sr::runtime;

namespace {

sr::egress::Mappings two_mappings() {
  sr::egress::Mappings m;
  m.tokens.push_back({"openai-0123456789abcdef0123456789abcdef", "OPENAI_API_KEY",
                      {"api.openai.com"}, {"Authorization"}, {}});
  m.tokens.push_back({"gemini-fedcba9876543210fedcba9876543210", "GEMINI_API_KEY",
                      {"generativelanguage.googleapis.com"}, {"x-goog-api-key"},
                      {"GOOGLE_API_KEY"}});
  return m;
}

EgressInputs inputs(const sr::egress::Mappings& m) {
  EgressInputs in;
  in.mappings = &m;
  in.tunnel_port = 9090;
  in.ca_cert_host_path = "/home/u/.sandbox-run/egress/ca.crt";
  in.real_value = [](std::string_view name) -> std::optional<std::string> {
    if (name == "OPENAI_API_KEY") return "sk-real-openai";
    if (name == "GOOGLE_API_KEY") return "real-google";
    return std::nullopt;
  };
  return in;
}

std::string env_of(const EgressPlan& p, std::string_view key) {
  auto it = std::find_if(p.env.begin(), p.env.end(), [&](auto& kv) { return kv.first == key; });
  return it == p.env.end() ? "<unset>" : it->second;
}

}  // namespace

TEST_CASE("the sandbox receives proxy, CA, token and marker variables") {
  auto m = two_mappings();
  auto plan = plan_egress(inputs(m));
  CHECK(env_of(plan, "HTTPS_PROXY") == "http://host.docker.internal:9090");
  CHECK(env_of(plan, "https_proxy") == "http://host.docker.internal:9090");
  CHECK(env_of(plan, "HTTP_PROXY") == "http://host.docker.internal:9091");
  CHECK(env_of(plan, "NO_PROXY") == "127.0.0.1,localhost,::1");
  for (auto k : {"REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"})
    CHECK(env_of(plan, k) == "/etc/ssl/certs/sandbox-egress-ca.crt");
  CHECK(env_of(plan, "NODE_OPTIONS") == "--use-openssl-ca");
  CHECK(env_of(plan, "OPENAI_API_KEY") == "openai-0123456789abcdef0123456789abcdef");
  CHECK(env_of(plan, "SANDBOX_PROXY_TOKEN_OPENAI_API_KEY") ==
        "openai-0123456789abcdef0123456789abcdef");
  CHECK(env_of(plan, "GOOGLE_API_KEY") == env_of(plan, "GEMINI_API_KEY"));
  CHECK(env_of(plan, "SANDBOX_EGRESS") == "1");
  CHECK(plan.bind ==
        "/home/u/.sandbox-run/egress/ca.crt:/etc/ssl/certs/sandbox-egress-ca.crt:ro");
  CHECK(plan.extra_host == "host.docker.internal:host-gateway");
  CHECK(plan.collisions.empty());
  CHECK(plan.fingerprint.size() == 64);
}

TEST_CASE("NODE_OPTIONS keeps the user's flags in order and appends --use-openssl-ca once") {
  std::vector<std::string> warnings;
  CHECK(merge_node_options("--max-old-space-size=512 --use-openssl-ca --trace-warnings",
                           warnings) ==
        "--max-old-space-size=512 --trace-warnings --use-openssl-ca");
  CHECK(warnings.empty());
  CHECK(merge_node_options("--use-bundled-ca --inspect", warnings) ==
        "--inspect --use-openssl-ca");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("--use-bundled-ca") != std::string::npos);
}

TEST_CASE("a user NODE_OPTIONS is merged, not refused") {
  auto m = two_mappings();
  auto in = inputs(m);
  in.user_env = {{"NODE_OPTIONS", "--inspect", "image ENV"}, {"NODE_OPTIONS", "--x", "-e"}};
  auto plan = plan_egress(in);
  CHECK(plan.collisions.empty());
  CHECK(env_of(plan, "NODE_OPTIONS") == "--x --use-openssl-ca");
}

TEST_CASE("collisions name the variable and its source; identical values pass") {
  auto m = two_mappings();
  auto in = inputs(m);
  in.user_env = {{"HTTPS_PROXY", "http://evil:1", "-e"},
                 {"OPENAI_API_KEY", "openai-0123456789abcdef0123456789abcdef", "--env-file a.env"},
                 {"GEMINI_API_KEY", "something-else", "config docker_env"},
                 {"SSL_CERT_FILE", "/etc/ssl/certs/sandbox-egress-ca.crt", "image ENV"}};
  auto plan = plan_egress(in);
  REQUIRE(plan.collisions.size() == 2);
  CHECK(plan.collisions[0].key == "HTTPS_PROXY");
  CHECK(plan.collisions[0].kind == CollisionKind::overrides_proxy_control);
  CHECK(plan.collisions[0].message.find("(from -e)") != std::string::npos);
  CHECK(plan.collisions[1].key == "GEMINI_API_KEY");
  CHECK(plan.collisions[1].kind == CollisionKind::overrides_mapped);
  CHECK(plan.collisions[1].message.find("config docker_env") != std::string::npos);
}

TEST_CASE("a real credential value is refused under any name, and never echoed") {
  auto m = two_mappings();
  auto in = inputs(m);
  in.user_env = {{"MY_KEY", "sk-real-openai", "-e"}, {"G", "real-google", "--env-file x"}};
  auto plan = plan_egress(in);
  REQUIRE(plan.collisions.size() == 2);
  CHECK(plan.collisions[0].kind == CollisionKind::real_secret);
  CHECK(plan.collisions[0].message.find("OPENAI_API_KEY") != std::string::npos);
  CHECK(plan.collisions[1].message.find("GEMINI_API_KEY") != std::string::npos);
  for (const auto& c : plan.collisions) {
    CHECK(c.message.find("sk-real-openai") == std::string::npos);
    CHECK(c.message.find("real-google") == std::string::npos);
  }
}

TEST_CASE("a network that takes the sandbox off the proxy is a collision") {
  auto m = two_mappings();
  auto in = inputs(m);
  in.network = "sandbox-egress";
  in.user_network = "sandbox-egress";
  CHECK(plan_egress(in).collisions.empty());
  in.user_network = "host";
  auto plan = plan_egress(in);
  REQUIRE(plan.collisions.size() == 1);
  CHECK(plan.collisions[0].key == "--network");
  in.network = "";
  in.user_network = "bridge";
  CHECK(plan_egress(in).collisions.empty());
}

TEST_CASE("apply writes env, bind, host entry, network and fingerprint label") {
  auto m = two_mappings();
  auto in = inputs(m);
  in.network = "sandbox-egress";
  in.proxy_host_address = "10.213.37.1";
  auto plan = plan_egress(in);
  nlohmann::json body = {{"Env", {"A=1", "HTTPS_PROXY=x"}}, {"HostConfig", nlohmann::json::object()}};
  apply_egress(plan, body, UserWins::no);
  auto env = body["Env"].get<std::vector<std::string>>();
  CHECK(env[0] == "A=1");
  CHECK(env[1] == "HTTPS_PROXY=http://host.docker.internal:9090");
  CHECK(body["HostConfig"]["NetworkMode"] == "sandbox-egress");
  CHECK(body["HostConfig"]["ExtraHosts"][0] == "host.docker.internal:10.213.37.1");
  CHECK(body["HostConfig"]["Binds"][0].get<std::string>().ends_with(":ro"));
  CHECK(body["Labels"]["io.sandbox-run.egress.fingerprint"] == plan.fingerprint);
  CHECK_FALSE(body["HostConfig"].contains("Dns"));
}

TEST_CASE("per-tool proxy and CA variables, and the engine's DNS responder as resolver") {
  auto m = two_mappings();
  auto in = inputs(m);
  in.network = "sandbox-egress";
  in.proxy_host_address = "10.213.37.1";
  in.dns_server = "10.213.37.1";
  in.allowlist = {"api.openai.com", "*.example.test", "127.0.0.1", "::1"};
  auto plan = plan_egress(in);
  CHECK(env_of(plan, "NODE_USE_ENV_PROXY") == "1");
  CHECK(env_of(plan, "GLOBAL_AGENT_HTTPS_PROXY") == "http://host.docker.internal:9090");
  CHECK(env_of(plan, "GLOBAL_AGENT_HTTP_PROXY") == "http://host.docker.internal:9091");
  for (auto k : {"GIT_SSL_CAINFO", "AWS_CA_BUNDLE", "DENO_CERT", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "PIP_CERT",
                 "npm_config_cafile", "CARGO_HTTP_CAINFO"}) {
    CHECK(env_of(plan, k) == "/etc/ssl/certs/sandbox-egress-ca.crt");
    CHECK(is_proxy_control_var(k));
  }
  CHECK(is_proxy_control_var("NODE_USE_ENV_PROXY"));
  nlohmann::json body = {{"HostConfig", nlohmann::json::object()}};
  apply_egress(plan, body, UserWins::no);
  CHECK(body["HostConfig"]["Dns"] == nlohmann::json::array({"10.213.37.1"}));
  // Exact names are also pinned in /etc/hosts; wildcards and IP literals are not.
  CHECK(body["HostConfig"]["ExtraHosts"] ==
        nlohmann::json::array({"host.docker.internal:10.213.37.1", "api.openai.com:10.213.37.1"}));
  in.dns_server.clear();
  CHECK(plan_egress(in).fingerprint != plan.fingerprint);
}

TEST_CASE("with enforcement off the user's colliding value wins") {
  auto m = two_mappings();
  auto in = inputs(m);
  in.user_env = {{"HTTPS_PROXY", "http://mine:1", "-e"}};
  auto plan = plan_egress(in);
  nlohmann::json body = {{"Env", {"HTTPS_PROXY=http://mine:1"}}, {"HostConfig", nlohmann::json::object()}};
  apply_egress(plan, body, UserWins::yes);
  CHECK(body["Env"][0] == "HTTPS_PROXY=http://mine:1");
}

TEST_CASE("the fingerprint changes when a token changes") {
  auto m = two_mappings();
  auto a = plan_egress(inputs(m)).fingerprint;
  m.tokens[0].proxy_token = "openai-ffffffffffffffffffffffffffffffff";
  CHECK(plan_egress(inputs(m)).fingerprint != a);
}
