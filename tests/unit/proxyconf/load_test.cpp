#include <catch2/catch.hpp>

#include "proxyconf/proxy_config.hpp"

using sr::proxyconf::load;
using sr::proxyconf::parse;

namespace {

const std::string kTls = "tls:\n  ca_cert: /c.crt\n  ca_key: /c.key\n";

// The error message of parsing `text` (source "p.yaml"); "" when it parsed.
std::string error_of(const std::string& text) {
  auto r = parse(text, "p.yaml");
  return r ? std::string() : r.error().message;
}

}  // namespace

TEST_CASE("load: a full valid file", "[proxyconf][load]") {
  std::vector<std::string> ignored;
  auto r = load(SR_TEST_DATA_DIR "/load_valid.yaml", &ignored);
  REQUIRE(r);
  CHECK(ignored.empty());
  const auto& c = *r;
  CHECK(c.dns_listen == "127.0.0.1:0");
  CHECK(c.http_listen == "172.17.0.1:9091");
  CHECK(c.tunnel_listen == "172.17.0.1:9090");
  CHECK(c.max_request_body_bytes == 2097152);
  CHECK(c.upstream_response_header_timeout == std::chrono::seconds(90));
  CHECK(c.upstream_deny_cidrs == std::vector<std::string>{"127.0.0.0/8", "::1/128", "169.254.0.0/16"});
  CHECK(c.ca_cert == "/state/ca.crt");
  CHECK(c.cert_cache_size == 500);
  CHECK(c.leaf_cert_expiry_hours == 24);
  CHECK(c.metrics_listen == "127.0.0.1:9099");
  CHECK(c.management_listen == "127.0.0.1:9092");
  CHECK(c.management_api_key_env == "SANDBOX_EGRESS_MGMT_KEY");
  CHECK(c.log_level == "debug");
  CHECK(c.allowlist == std::vector<std::string>{"api.openai.com", "*.openrouter.ai"});
  REQUIRE(c.secrets.size() == 2);
  CHECK(c.secrets[0].source_type == "env");
  CHECK(c.secrets[0].source_var == "OPENAI_API_KEY");
  CHECK(c.secrets[0].proxy_value == "openai-0123456789abcdef0123456789abcdef");
  CHECK(c.secrets[0].match_headers == std::vector<std::string>{"Authorization"});
  CHECK(c.secrets[0].match_body);
  CHECK(c.secrets[0].require);
  CHECK_FALSE(c.secrets[0].match_query);
  CHECK(c.secrets[0].rule_hosts == std::vector<std::string>{"api.openai.com"});
  CHECK(c.secrets[1].match_query);
  CHECK_FALSE(c.secrets[1].require);
}

TEST_CASE("load: render output loads back to the same model", "[proxyconf][load]") {
  auto first = load(SR_TEST_DATA_DIR "/load_valid.yaml");
  REQUIRE(first);
  std::vector<std::string> ignored;
  auto again = parse(sr::proxyconf::render(*first), "rendered", &ignored);
  REQUIRE(again);
  CHECK(ignored.empty());
  CHECK(sr::proxyconf::render(*again) == sr::proxyconf::render(*first));
  CHECK(again->secrets.size() == 2);
  CHECK(again->upstream_deny_cidrs == first->upstream_deny_cidrs);
}

TEST_CASE("load: defaults and iron-proxy's zero-means-default", "[proxyconf][load]") {
  auto r = parse(kTls + "proxy:\n  max_request_body_bytes: 0\n  upstream_response_header_timeout: \"\"\n", "p");
  REQUIRE(r);
  CHECK(r->max_request_body_bytes == 1048576);
  CHECK(r->upstream_response_header_timeout == std::chrono::seconds(30));
  CHECK(r->cert_cache_size == 1000);
  CHECK(r->leaf_cert_expiry_hours == 72);
  CHECK(r->http_listen.empty());  // off unless configured (never v0.39's ":80")
  CHECK(r->log_level == "info");
  SECTION("absent deny list is the default, [] is none") {
    CHECK(r->upstream_deny_cidrs == sr::proxyconf::default_deny_cidrs());
    CHECK(r->upstream_deny_cidrs.size() == 21);
    CHECK(r->upstream_deny_cidrs.front() == "127.0.0.0/8");
    CHECK(r->upstream_deny_cidrs.back() == "240.0.0.0/4");
    auto none = parse(kTls + "proxy:\n  upstream_deny_cidrs: []\n", "p");
    REQUIRE(none);
    CHECK(none->upstream_deny_cidrs.empty());
    auto null = parse(kTls + "proxy:\n  upstream_deny_cidrs:\n", "p");
    REQUIRE(null);
    CHECK(null->upstream_deny_cidrs == sr::proxyconf::default_deny_cidrs());
  }
  SECTION("empty listen strings (as rendered) mean off") {
    auto off = parse(kTls + "proxy:\n  http_listen: \"\"\n  tunnel_listen: ''\n", "p");
    REQUIRE(off);
    CHECK(off->tunnel_listen.empty());
  }
  SECTION("management without api_key_env gets v0.39's default env name") {
    auto m = parse(kTls + "management:\n  listen: 127.0.0.1:1\n", "p");
    REQUIRE(m);
    CHECK(m->management_api_key_env == "IRON_MANAGEMENT_API_KEY");
  }
}

TEST_CASE("load: known-but-unused keys are reported, not fatal", "[proxyconf][load]") {
  std::vector<std::string> ignored;
  auto r = parse(kTls +
                     "dns:\n  upstream_resolver: 1.1.1.1:53\n  records: []\n"
                     "transforms:\n"
                     "  - name: allowlist\n    config:\n      domains: [a.example]\n      cidrs: [10.0.0.0/8]\n"
                     "  - name: secrets\n    config:\n      secrets:\n"
                     "        - source: {type: env, var: K, extra: 1}\n"
                     "          replace: {proxy_value: tok, match_headers: [a], novel: x}\n"
                     "          rules: [{host: a.example, path: /x}, {method: GET}]\n"
                     "          note: hi\n",
                 "p.yaml", &ignored);
  REQUIRE(r);
  CAPTURE(ignored);
  REQUIRE(ignored.size() == 9);
  CHECK(ignored[0] == "p.yaml:5:3: dns.upstream_resolver: ignored (the built-in engine runs no DNS server)");
  CHECK(ignored[2] == "p.yaml:11:7: transforms[0].config.cidrs: ignored (unknown key)");
  CHECK(ignored[3].find("transforms[1].config.secrets[0].source.extra: ignored") != std::string::npos);
  CHECK(ignored[4].find("replace.novel") != std::string::npos);
  CHECK(ignored[5].find("rules[0].path") != std::string::npos);
  CHECK(ignored[6].find("rules[1].method") != std::string::npos);
  CHECK(ignored[7] == "p.yaml:17:48: transforms[1].config.secrets[0].rules[1]: rule without a host ignored "
                      "(never matches)");
  CHECK(ignored[8] == "p.yaml:18:11: transforms[1].config.secrets[0].note: ignored (unknown key)");
  CHECK(r->secrets.at(0).rule_hosts == std::vector<std::string>{"a.example"});
}

TEST_CASE("load: errors carry 1-based line:col", "[proxyconf][load]") {
  CHECK(error_of(kTls + "proxy:\n  http_listens: 1.2.3.4:80\n") ==
        "p.yaml:5:3: unknown key \"proxy.http_listens\" (iron-proxy v0.39 refuses it too)");
  CHECK(error_of(kTls + "log:\n  audit_path: /x\n") ==
        "p.yaml:5:3: unknown key \"log.audit_path\" (iron-proxy v0.39 refuses it too)");
  CHECK(error_of(kTls + "dns:\n  enabled: false\n") ==
        "p.yaml:5:3: unknown key \"dns.enabled\" (iron-proxy v0.39 refuses it too)");
  CHECK(error_of("bogus: 1\n" + kTls) == "p.yaml:1:1: unknown key \"bogus\" (iron-proxy v0.39 refuses it too)");
  CHECK(error_of(kTls + "proxy:\n  tunnel_listen: nope\n") ==
        "p.yaml:5:18: proxy.tunnel_listen: expected host:port (e.g. 127.0.0.1:9090), got \"nope\"");
  CHECK(error_of(kTls + "proxy:\n  tunnel_listen: 1.2.3.4:70000\n").starts_with("p.yaml:5:18: "));
  CHECK(error_of(kTls + "proxy:\n  upstream_deny_cidrs: [10.0.0.0/8, 10.1.2.3]\n") ==
        "p.yaml:5:37: proxy.upstream_deny_cidrs[1]: expected a CIDR like 10.0.0.0/8, got \"10.1.2.3\" "
        "(a bare address needs /32 or /128)");
  CHECK(error_of(kTls + "proxy:\n  upstream_deny_cidrs: [10.0.0.0/33]\n").starts_with("p.yaml:5:"));
  CHECK(error_of(kTls + "proxy:\n  upstream_response_header_timeout: 30\n") ==
        "p.yaml:5:37: proxy.upstream_response_header_timeout: invalid duration \"30\" "
        "(expected e.g. 30s, 1m30s, 500ms)");
  CHECK(error_of(kTls + "proxy:\n  upstream_response_header_timeout: -5s\n") ==
        "p.yaml:5:37: proxy.upstream_response_header_timeout: must be positive, got \"-5s\"");
  CHECK(error_of(kTls + "proxy:\n  max_request_body_bytes: -1\n") ==
        "p.yaml:5:27: proxy.max_request_body_bytes: expected an integer between 0 and 4611686018427387904");
  CHECK(error_of(kTls + "dns:\n  proxy_ip: ::1\n") ==
        "p.yaml:5:13: dns.proxy_ip: expected an IPv4 address, got \"::1\"");
  CHECK(error_of(kTls + "log:\n  level: loud\n") ==
        "p.yaml:5:10: log.level: expected debug, info, warn or error, got \"loud\"");
  CHECK(error_of(kTls + "tls:\n  mode: sni-only\n").starts_with("p.yaml:4:1: tls: duplicate key") );
  CHECK(error_of("tls:\n  ca_cert: /a\n  ca_key: /b\n  mode: sni-only\n") ==
        "p.yaml:4:9: tls.mode: only \"mitm\" is supported by the built-in engine, got \"sni-only\"");
  CHECK(error_of("tls:\n  ca_cert: /a\n") == "p.yaml:2:3: tls.ca_key is required");
  CHECK(error_of("proxy: {}\n") == "p.yaml:1:1: tls.ca_cert is required");
  CHECK(error_of("") == "p.yaml: empty configuration");
  CHECK(error_of("- a\n- b\n") == "p.yaml:1:1: : expected a mapping");
}

TEST_CASE("load: transform errors", "[proxyconf][load]") {
  CHECK(error_of(kTls + "transforms:\n  - name: rewrite\n    config: {}\n") ==
        "p.yaml:5:5: transforms[0].name: unknown transform \"rewrite\" (the built-in engine supports "
        "allowlist and secrets)");
  CHECK(error_of(kTls + "transforms:\n  - config: {}\n") == "p.yaml:5:5: transforms[0].name is required");
  CHECK(error_of(kTls + "transforms:\n  - name: allowlist\n    extra: 1\n") ==
        "p.yaml:6:5: unknown key \"transforms[0].extra\" (iron-proxy v0.39 refuses it too)");
  const std::string secret_head = kTls + "transforms:\n  - name: secrets\n    config:\n      secrets:\n";
  CHECK(error_of(secret_head + "        - source: {type: env, var: K}\n"
                               "          replace: {proxy_value: t, require: maybe}\n") ==
        "p.yaml:9:46: transforms[0].config.secrets[0].replace.require: expected true or false");
  CHECK(error_of(secret_head + "        - source: {type: vault, var: K}\n"
                               "          replace: {proxy_value: t}\n") ==
        "p.yaml:8:11: transforms[0].config.secrets[0].source.type: only \"env\" is supported, got \"vault\"");
  CHECK(error_of(secret_head + "        - source: {type: env}\n          replace: {proxy_value: t}\n") ==
        "p.yaml:8:11: transforms[0].config.secrets[0].source.var is required");
  CHECK(error_of(secret_head + "        - source: {type: env, var: K}\n") ==
        "p.yaml:8:11: transforms[0].config.secrets[0].replace.proxy_value is required");
  CHECK(error_of(secret_head + "        - source: {type: env, var: K}\n"
                               "          replace: {proxy_value: t, match_headers: x}\n") ==
        "p.yaml:9:52: transforms[0].config.secrets[0].replace.match_headers: expected a list of strings");
  CHECK(error_of(kTls + "transforms:\n  - name: allowlist\n    config:\n      domains: [a, \"\"]\n") ==
        "p.yaml:7:20: transforms[0].config.domains[1]: must not be empty");
}

TEST_CASE("load: YAML syntax errors and file errors", "[proxyconf][load]") {
  auto e = error_of(kTls + "proxy: [unclosed\n");
  CHECK(e.starts_with("p.yaml:"));
  CHECK(e.find("end of sequence") != std::string::npos);
  CHECK(error_of(std::string(100, '[')) == "p.yaml: nesting deeper than 64 levels");
  auto missing = load("/nonexistent/proxy.yaml");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "reading /nonexistent/proxy.yaml: No such file or directory");
  CHECK(missing.error().kind == sr::util::ErrorKind::not_found);
}
