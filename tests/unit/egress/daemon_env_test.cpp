#include <catch2/catch.hpp>
#include <map>

#include "daemon/installer.hpp"
#include "egress/bitwarden.hpp"
#include "egress/daemon_env.hpp"
#include "state_test_support.hpp"

using namespace sr::egress;

TEST_CASE("daemon env: allowlist, credentials with alias fallback, proxy vars stripped") {
  DaemonEnvInputs in;
  in.caller_env = sr_test::env_from({{"PATH", "/usr/bin"}, {"HOME", "/root"}, {"SECRET_THING", "x"},
                        {"HTTPS_PROXY", "http://p"}, {"https_proxy", "http://p"}, {"LANG", "C.UTF-8"}});
  in.secrets = sr_test::env_from({{"OPENAI_API_KEY", "sk-1"}, {"GEMINI_API_KEY", ""}, {"GOOGLE_API_KEY", "g-1"},
                     {"HTTP_PROXY", "http://q"}});
  in.credentials = {{"OPENAI_API_KEY", {}}, {"GEMINI_API_KEY", {"GOOGLE_API_KEY"}},
                    {"MISTRAL_API_KEY", {}}, {"HTTP_PROXY", {}}};
  in.management_key = "mk";
  in.nonce = "n1";
  DaemonEnv env = build_daemon_env(in);
  std::map<std::string, std::string> want = {
      {"PATH", "/usr/bin"}, {"HOME", "/root"}, {"LANG", "C.UTF-8"}, {"OPENAI_API_KEY", "sk-1"},
      {"GEMINI_API_KEY", "g-1"}, {"SANDBOX_EGRESS_MGMT_KEY", "mk"}, {"SANDBOX_EGRESS_NONCE", "n1"}};
  CHECK(env.vars == want);
  CHECK(env.missing_credentials == std::vector<std::string>{"MISTRAL_API_KEY"});
}

TEST_CASE("bws secret list JSON parses to key/value pairs") {
  auto ok = parse_bws_secret_list(R"([{"id":"1","key":"OPENAI_API_KEY","value":"v","projectId":"p"}])");
  REQUIRE(ok);
  REQUIRE(ok->size() == 1);
  CHECK((*ok)[0].first == "OPENAI_API_KEY");
  CHECK((*ok)[0].second == "v");
  CHECK_FALSE(parse_bws_secret_list(R"({"key":"x"})"));
  CHECK_FALSE(parse_bws_secret_list("not json"));
}

TEST_CASE("bitwarden refuses a missing token unless env fallback is allowed") {
  ProxySettings s;
  s.credential_source = CredentialSource::bitwarden;
  s.bitwarden_project = "p";
  auto refused = bitwarden_secrets(s, {{"OPENAI_API_KEY", {}}}, sr_test::env_from({}));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("BWS_ACCESS_TOKEN") != std::string::npos);
  s.allow_env_fallback = true;
  auto fallback = bitwarden_secrets(s, {{"OPENAI_API_KEY", {}}}, sr_test::env_from({{"OPENAI_API_KEY", "env"}}));
  REQUIRE(fallback);
  CHECK(fallback->warnings.size() == 1);
  CHECK(fallback->lookup("OPENAI_API_KEY") == "env");
}

TEST_CASE("release asset names per platform") {
  CHECK(*sr::daemon::release_asset_name("Linux", "x86_64") == "iron-proxy_0.39.0_linux_amd64.tar.gz");
  CHECK(*sr::daemon::release_asset_name("Linux", "aarch64") == "iron-proxy_0.39.0_linux_arm64.tar.gz");
  CHECK(*sr::daemon::release_asset_name("Darwin", "arm64") == "iron-proxy_0.39.0_darwin_arm64.tar.gz");
  CHECK_FALSE(sr::daemon::release_asset_name("Linux", "riscv64"));
  CHECK_FALSE(sr::daemon::release_asset_name("Windows_NT", "x86_64"));
}

TEST_CASE("checksums.txt lookup") {
  std::string text = "aaa  iron-proxy_0.39.0_linux_arm64.tar.gz\nbbb *iron-proxy_0.39.0_linux_amd64.tar.gz\n";
  CHECK(*sr::daemon::checksum_for(text, "iron-proxy_0.39.0_linux_amd64.tar.gz") == "bbb");
  CHECK(*sr::daemon::checksum_for(text, "iron-proxy_0.39.0_linux_arm64.tar.gz") == "aaa");
  CHECK_FALSE(sr::daemon::checksum_for(text, "iron-proxy_0.39.0_darwin_amd64.tar.gz"));
}

TEST_CASE("release base URL: env beats config beats the upstream default") {
  Config c;
  ::unsetenv("SANDBOX_EGRESS_RELEASE_BASE_URL");
  CHECK(sr::daemon::release_base_url(c) == "https://github.com/ironsh/iron-proxy/releases/download/v0.39.0");
  c.proxy.release_base_url = "http://mirror.invalid/x/";
  CHECK(sr::daemon::release_base_url(c) == "http://mirror.invalid/x");
  ::setenv("SANDBOX_EGRESS_RELEASE_BASE_URL", "http://127.0.0.1:1/r", 1);
  CHECK(sr::daemon::release_base_url(c) == "http://127.0.0.1:1/r");
  ::unsetenv("SANDBOX_EGRESS_RELEASE_BASE_URL");
}
