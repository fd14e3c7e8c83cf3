#include <catch2/catch.hpp>

#include "proxy/policy/host_match.hpp"

using sr::proxy::HostMatcher;
using sr::proxy::normalize_host;
using sr::proxy::split_host_port;

TEST_CASE("normalize_host", "[proxy][host]") {
  CHECK(normalize_host("API.OpenAI.COM") == "api.openai.com");
  CHECK(normalize_host("api.openai.com.") == "api.openai.com");
  CHECK(normalize_host("api.openai.com:443") == "api.openai.com");
  CHECK(normalize_host("api.openai.com.:443") == "api.openai.com");
  CHECK(normalize_host("[::1]") == "::1");
  CHECK(normalize_host("[::1]:8443") == "::1");
  CHECK(normalize_host("::1") == "::1");
  CHECK(normalize_host("[0:0:0:0:0:0:0:1]") == "::1");
  CHECK(normalize_host("[::FFFF:127.0.0.1]") == "::ffff:127.0.0.1");
  CHECK(normalize_host("127.0.0.1:80") == "127.0.0.1");
  CHECK(normalize_host("under_score.example") == "under_score.example");
  for (const char* bad : {"", ".", "..", "a..b", ".a", "a.b..", "a b", "a/b", "a@b", "a%2eb", "[::1", "::1]",
                          "[a.example]", "host:", "host:x", "host:65536", "host:-1", "[::1]x",
                          "*.example.com", "fe80::1%eth0", "h\xC3\xA9.example"})
    CHECK_FALSE(normalize_host(bad));
  CHECK_FALSE(normalize_host(std::string_view("a\0b", 3)));
  CHECK_FALSE(normalize_host(std::string(254, 'a')));
  CHECK_FALSE(normalize_host(std::string(64, 'a') + ".example"));  // label > 63
}

TEST_CASE("split_host_port", "[proxy][host]") {
  auto hp = split_host_port("API.example.com:443");
  REQUIRE(hp);
  CHECK(hp->host == "api.example.com");
  CHECK(hp->port == 443);
  hp = split_host_port("[::1]:8443");
  REQUIRE(hp);
  CHECK(hp->host == "::1");
  CHECK(hp->port == 8443);
  CHECK_FALSE(split_host_port("api.example.com"));  // port required
  CHECK_FALSE(split_host_port("::1"));
  CHECK_FALSE(split_host_port("a.example:99999"));
  CHECK_FALSE(split_host_port(":443"));
}

TEST_CASE("HostMatcher: exact and wildcard", "[proxy][host]") {
  auto m = HostMatcher::create({"api.openai.com", "*.openrouter.ai", "OpenRouter.ai", "*.Azure.Example.",
                                "127.0.0.1", "[::1]"});
  REQUIRE(m);
  CHECK(m->matches("api.openai.com"));
  CHECK(m->matches("API.OPENAI.COM.:443"));
  CHECK_FALSE(m->matches("openai.com"));
  CHECK_FALSE(m->matches("x.api.openai.com"));
  CHECK_FALSE(m->matches("api.openai.com.evil.example"));
  CHECK_FALSE(m->matches("evilapi.openai.com"));
  CHECK(m->matches("openrouter.ai"));  // listed explicitly
  CHECK(m->matches("eu.openrouter.ai"));
  CHECK(m->matches("a.b.openrouter.ai"));
  CHECK_FALSE(m->matches("evilopenrouter.ai"));
  CHECK(m->matches("x.azure.example"));
  CHECK_FALSE(m->matches("azure.example"));  // the apex is not matched by "*."
  CHECK(m->matches("127.0.0.1"));
  CHECK(m->matches("[::1]:443"));
  CHECK(m->matches("0:0::1"));
  CHECK_FALSE(m->matches("127.0.0.2"));
  CHECK_FALSE(m->matches(""));
  CHECK_FALSE(m->matches("eu.openrouter.ai/"));
  CHECK_FALSE(HostMatcher().matches("anything.example"));
  CHECK(HostMatcher().empty());
}

TEST_CASE("HostMatcher: wildcards never match IP literals", "[proxy][host]") {
  auto m = HostMatcher::create({"*.example.com"});
  REQUIRE(m);
  CHECK_FALSE(m->matches("1.example.com.1"));
  CHECK_FALSE(HostMatcher::create({"*.0.0.1"}));
  CHECK_FALSE(HostMatcher::create({"*.1"}));
}

TEST_CASE("HostMatcher: invalid patterns are errors naming the entry", "[proxy][host]") {
  CHECK(HostMatcher::create({"*.test"}).value().matches("a.test"));
  CHECK_FALSE(HostMatcher::create({"*.test"}).value().matches("test"));
  for (const char* bad : {"*", "*.", "a.*.com", "*foo.com", "**.foo.com", "", "a b", "foo.*"}) {
    auto r = HostMatcher::create({"ok.example", bad});
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(std::string("\"") + bad + "\"") != std::string::npos);
    CHECK(r.error().kind == sr::util::ErrorKind::invalid_argument);
  }
}
