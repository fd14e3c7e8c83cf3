#include <catch2/catch.hpp>

#include <map>

#include "proxy/policy/secrets.hpp"

namespace http = boost::beast::http;
using sr::proxy::Decision;
using sr::proxy::RequestHead;
using sr::proxy::SecretSet;
using sr::proxyconf::Secret;

namespace {

const std::string kOpenAiToken = "openai-00112233445566778899aabbccddeeff";
const std::string kOpenAiValue = "sk-REAL-openai-value-123";
const std::string kGeminiToken = "gemini-ffeeddccbbaa99887766554433221100";
const std::string kGeminiValue = "AIza+real/gemini=value&x";
const std::string kAnthropicToken = "anthropic-0123456789abcdef0123456789abcdef";
const std::string kAnthropicValue = "sk-ant-REAL";

sr::proxy::SecretLookup fake_env(std::map<std::string, std::string> env) {
  return [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<Secret> provider_secrets() {
  Secret openai;
  openai.source_var = "OPENAI_API_KEY";
  openai.proxy_value = kOpenAiToken;
  openai.match_headers = {"Authorization"};
  openai.rule_hosts = {"api.openai.com"};
  Secret gemini;
  gemini.source_var = "GEMINI_API_KEY";
  gemini.proxy_value = kGeminiToken;
  gemini.match_headers = {"x-goog-api-key"};
  gemini.match_query = true;
  gemini.rule_hosts = {"generativelanguage.googleapis.com"};
  Secret anthropic;
  anthropic.source_var = "ANTHROPIC_API_KEY";
  anthropic.proxy_value = kAnthropicToken;
  anthropic.match_headers = {"x-api-key", "authorization"};
  anthropic.match_body = true;
  anthropic.require = true;
  anthropic.rule_hosts = {"api.anthropic.com", "*.anthropic.example"};
  return {openai, gemini, anthropic};
}

SecretSet make_set(std::vector<Secret> secrets = provider_secrets()) {
  auto set = SecretSet::create(secrets, fake_env({{"OPENAI_API_KEY", kOpenAiValue},
                                                  {"GEMINI_API_KEY", kGeminiValue},
                                                  {"ANTHROPIC_API_KEY", kAnthropicValue}}));
  REQUIRE(set);
  return std::move(*set);
}

RequestHead head(http::verb verb, std::string target) {
  RequestHead h;
  h.method(verb);
  h.target(target);
  h.version(11);
  return h;
}

std::string field(const RequestHead& h, std::string_view name) {
  auto it = h.find(boost::beast::string_view(name.data(), name.size()));
  return it == h.end() ? std::string() : std::string(it->value());
}

void replace_all_for_test(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// A reason or log line must never carry any token or value.
void check_clean(const std::string& text) {
  for (const auto& secret : {kOpenAiToken, kOpenAiValue, kGeminiToken, kGeminiValue, kAnthropicToken,
                             kAnthropicValue})
    CHECK(text.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("secrets: bearer swap in Authorization, case-insensitive header name", "[proxy][secrets]") {
  auto set = make_set();
  auto h = head(http::verb::post, "/v1/chat/completions");
  h.set("authorization", "Bearer " + kOpenAiToken);
  h.set("X-Other", "keep " + kOpenAiToken.substr(0, 10));
  auto out = set.apply(h, "API.OpenAI.com.", nullptr);
  CHECK(out.decision == Decision::allow);
  CHECK(out.reason.empty());
  CHECK(out.swapped == std::vector<std::string>{"OPENAI_API_KEY"});
  CHECK(field(h, "Authorization") == "Bearer " + kOpenAiValue);
  CHECK(field(h, "X-Other") == "keep " + kOpenAiToken.substr(0, 10));
}

TEST_CASE("secrets: Basic auth payload decoded, swapped, re-encoded", "[proxy][secrets]") {
  auto set = make_set();
  auto h = head(http::verb::get, "/v1/models");
  // base64("user:" + token)
  std::string payload = "user:" + kOpenAiToken;
  std::string encoded;
  {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 2 < payload.size(); i += 3) {
      unsigned n = (unsigned char)payload[i] << 16 | (unsigned char)payload[i + 1] << 8 | (unsigned char)payload[i + 2];
      for (int k = 3; k >= 0; --k) encoded += tbl[(n >> (6 * k)) & 63];
    }
    if (payload.size() - i == 1) {
      unsigned n = (unsigned char)payload[i] << 16;
      encoded += tbl[(n >> 18) & 63]; encoded += tbl[(n >> 12) & 63]; encoded += "==";
    } else if (payload.size() - i == 2) {
      unsigned n = (unsigned char)payload[i] << 16 | (unsigned char)payload[i + 1] << 8;
      encoded += tbl[(n >> 18) & 63]; encoded += tbl[(n >> 12) & 63]; encoded += tbl[(n >> 6) & 63]; encoded += "=";
    }
  }
  h.set(http::field::authorization, "basic " + encoded);
  auto out = set.apply(h, "api.openai.com", nullptr);
  REQUIRE(out.decision == Decision::allow);
  CHECK(out.swapped == std::vector<std::string>{"OPENAI_API_KEY"});
  // "user:sk-REAL-openai-value-123" in base64:
  CHECK(field(h, "Authorization") == "basic dXNlcjpzay1SRUFMLW9wZW5haS12YWx1ZS0xMjM=");

  SECTION("a Basic payload carrying the token to the wrong host is refused") {
    auto h2 = head(http::verb::get, "/");
    h2.set(http::field::authorization, "Basic " + encoded);
    auto refused = set.apply(h2, "evil.example", nullptr);
    CHECK(refused.decision == Decision::reject);
    CHECK(refused.reason == "proxy token for OPENAI_API_KEY sent to host evil.example");
  }
}

TEST_CASE("secrets: query swap percent-encodes the real value", "[proxy][secrets]") {
  auto set = make_set();
  auto h = head(http::verb::get, "/v1beta/models?key=" + kGeminiToken + "&alt=sse");
  auto out = set.apply(h, "generativelanguage.googleapis.com:443", nullptr);
  REQUIRE(out.decision == Decision::allow);
  CHECK(out.swapped == std::vector<std::string>{"GEMINI_API_KEY"});
  CHECK(std::string(h.target()) == "/v1beta/models?key=AIza%2Breal%2Fgemini%3Dvalue%26x&alt=sse");

  SECTION("the path is not touched without match_path") {
    auto p = head(http::verb::get, "/x/" + kGeminiToken + "?q=1");
    auto r = set.apply(p, "generativelanguage.googleapis.com", nullptr);
    CHECK(r.decision == Decision::allow);
    CHECK(r.swapped.empty());
    CHECK(std::string(p.target()) == "/x/" + kGeminiToken + "?q=1");
  }
}

TEST_CASE("secrets: match_path swaps in the path only", "[proxy][secrets]") {
  auto secrets = provider_secrets();
  secrets[1].match_query = false;
  secrets[1].match_path = true;
  auto set = make_set(secrets);
  auto h = head(http::verb::get, "/k/" + kGeminiToken + "/x?key=" + kGeminiToken);
  auto out = set.apply(h, "generativelanguage.googleapis.com", nullptr);
  REQUIRE(out.decision == Decision::allow);
  CHECK(std::string(h.target()) == "/k/AIza%2Breal%2Fgemini%3Dvalue%26x/x?key=" + kGeminiToken);
}

TEST_CASE("secrets: body swap only when buffered and match_body", "[proxy][secrets]") {
  auto set = make_set();
  auto h = head(http::verb::post, "/v1/messages");
  h.set("x-api-key", kAnthropicToken);
  std::string body = R"({"k":")" + kAnthropicToken + R"("})";
  CHECK(set.wants_body("api.anthropic.com"));
  CHECK_FALSE(set.wants_body("api.openai.com"));
  auto out = set.apply(h, "api.anthropic.com", &body);
  REQUIRE(out.decision == Decision::allow);
  CHECK(out.body_changed);
  CHECK(body == R"({"k":")" + kAnthropicValue + R"("})");
  CHECK(field(h, "x-api-key") == kAnthropicValue);
  CHECK(out.swapped == std::vector<std::string>{"ANTHROPIC_API_KEY"});

  SECTION("unbuffered body: headers still swapped, body untouched") {
    auto h2 = head(http::verb::post, "/v1/messages");
    h2.set("X-Api-Key", kAnthropicToken);
    auto r = set.apply(h2, "api.anthropic.com", nullptr);
    CHECK(r.decision == Decision::allow);
    CHECK_FALSE(r.body_changed);
  }
  SECTION("no match_body: body untouched even when buffered") {
    auto h3 = head(http::verb::post, "/v1/chat");
    h3.set(http::field::authorization, "Bearer " + kOpenAiToken);
    std::string b = "token " + kOpenAiToken;
    auto r = set.apply(h3, "api.openai.com", &b);
    CHECK(r.decision == Decision::allow);
    CHECK_FALSE(r.body_changed);
    CHECK(b == "token " + kOpenAiToken);
  }
}

TEST_CASE("secrets: no swap towards a non-matching allowed host without tokens", "[proxy][secrets]") {
  auto set = make_set();
  auto h = head(http::verb::get, "/");
  h.set(http::field::authorization, "Bearer something-else");
  auto out = set.apply(h, "example.org", nullptr);
  CHECK(out.decision == Decision::allow);
  CHECK(out.swapped.empty());
  CHECK(field(h, "Authorization") == "Bearer something-else");
}

TEST_CASE("secrets: a token towards the wrong host is refused wherever it hides", "[proxy][secrets]") {
  auto set = make_set();
  auto expect_refused = [&](RequestHead h, std::string host, std::string* body, std::string reason) {
    RequestHead before = h;
    auto out = set.apply(h, host, body);
    CHECK(out.decision == Decision::reject);
    CHECK(out.reason == reason);
    CHECK(out.swapped.empty());
    check_clean(out.reason);
    CHECK(std::string(h.target()) == std::string(before.target()));
  };
  const std::string wrong = "proxy token for OPENAI_API_KEY sent to host evil.example";

  auto h = head(http::verb::get, "/");
  h.set(http::field::authorization, "Bearer " + kOpenAiToken);
  expect_refused(h, "evil.example", nullptr, wrong);

  auto other_header = head(http::verb::get, "/");
  other_header.set("X-Custom", "a" + kOpenAiToken + "b");
  expect_refused(other_header, "evil.example:443", nullptr, wrong);

  auto in_name = head(http::verb::get, "/");
  in_name.set("X-" + kOpenAiToken, "1");
  expect_refused(in_name, "evil.example", nullptr, wrong);

  expect_refused(head(http::verb::get, "/p?x=" + kOpenAiToken), "evil.example", nullptr, wrong);
  expect_refused(head(http::verb::get, "/" + kOpenAiToken), "evil.example", nullptr, wrong);
  // percent-encoded 'o' and '-'
  expect_refused(head(http::verb::get, "/p?x=%6Fpenai%2D" + kOpenAiToken.substr(7)), "evil.example", nullptr,
                 wrong);
  std::string body = "{\"k\":\"" + kOpenAiToken + "\"}";
  expect_refused(head(http::verb::post, "/"), "evil.example", &body, wrong);
  CHECK(body == "{\"k\":\"" + kOpenAiToken + "\"}");

  SECTION("a token for one provider sent to another provider's host") {
    auto cross = head(http::verb::post, "/v1/messages");
    cross.set("x-api-key", kAnthropicToken);
    cross.set(http::field::authorization, "Bearer " + kOpenAiToken);
    auto out = set.apply(cross, "api.anthropic.com", nullptr);
    CHECK(out.decision == Decision::reject);
    CHECK(out.reason == "proxy token for OPENAI_API_KEY sent to host api.anthropic.com");
    CHECK(field(cross, "x-api-key") == kAnthropicToken);  // nothing swapped on reject
  }
  SECTION("a token inside the destination host name is refused without echoing the host") {
    auto out = set.apply(h, kOpenAiToken + ".evil.example", nullptr);
    CHECK(out.decision == Decision::reject);
    CHECK(out.reason == "proxy token for OPENAI_API_KEY in the destination host name");
  }
  SECTION("an invalid destination host with a token is refused") {
    auto out = set.apply(h, "evil example", nullptr);
    CHECK(out.decision == Decision::reject);
    CHECK(out.reason == "proxy token for OPENAI_API_KEY sent to host (invalid host name)");
  }
  SECTION("wildcard rules do not cover the apex") {
    auto a = head(http::verb::post, "/");
    a.set("x-api-key", kAnthropicToken);
    CHECK(set.apply(a, "anthropic.example", nullptr).decision == Decision::reject);
    auto b = head(http::verb::post, "/");
    b.set("x-api-key", kAnthropicToken);
    auto ok = set.apply(b, "eu.anthropic.example", nullptr);
    CHECK(ok.decision == Decision::allow);
    CHECK(field(b, "x-api-key") == kAnthropicValue);
  }
}

TEST_CASE("secrets: an entry without rules never swaps and its token is refused everywhere",
          "[proxy][secrets]") {
  auto secrets = provider_secrets();
  secrets[0].rule_hosts.clear();
  auto set = make_set(secrets);
  auto h = head(http::verb::get, "/");
  h.set(http::field::authorization, "Bearer " + kOpenAiToken);
  auto out = set.apply(h, "api.openai.com", nullptr);
  CHECK(out.decision == Decision::reject);
  CHECK(out.reason == "proxy token for OPENAI_API_KEY sent to host api.openai.com");
}

TEST_CASE("secrets: require applies to matching hosts without a token", "[proxy][secrets]") {
  auto set = make_set();
  auto h = head(http::verb::post, "/v1/messages");
  h.set("x-api-key", "user-supplied-key");
  auto out = set.apply(h, "api.anthropic.com", nullptr);
  CHECK(out.decision == Decision::reject);
  CHECK(out.reason == "request to api.anthropic.com carries no proxy token for ANTHROPIC_API_KEY (require)");
  CHECK(field(h, "x-api-key") == "user-supplied-key");
  // require does not apply elsewhere, and not to entries without require
  auto other = head(http::verb::get, "/");
  CHECK(set.apply(other, "example.org", nullptr).decision == Decision::allow);
  auto openai = head(http::verb::get, "/");
  CHECK(set.apply(openai, "api.openai.com", nullptr).decision == Decision::allow);
  SECTION("a token in the body satisfies require when buffered") {
    auto b = head(http::verb::post, "/v1/messages");
    std::string body = "x " + kAnthropicToken;
    auto r = set.apply(b, "api.anthropic.com", &body);
    CHECK(r.decision == Decision::allow);
    CHECK(body == "x " + kAnthropicValue);
  }
}

TEST_CASE("secrets: repeated headers keep their order; every occurrence swapped", "[proxy][secrets]") {
  auto set = make_set();
  auto h = head(http::verb::get, "/");
  h.insert("X-Api-Key", "first " + kAnthropicToken);
  h.insert("X-Api-Key", kAnthropicToken + kAnthropicToken);
  auto out = set.apply(h, "api.anthropic.com", nullptr);
  REQUIRE(out.decision == Decision::allow);
  std::vector<std::string> values;
  for (const auto& f : h)
    if (f.name_string() == "X-Api-Key") values.emplace_back(f.value());
  CHECK(values == std::vector<std::string>{"first " + kAnthropicValue, kAnthropicValue + kAnthropicValue});
}

TEST_CASE("secrets: construction errors", "[proxy][secrets]") {
  auto env = fake_env({{"OPENAI_API_KEY", kOpenAiValue}, {"OTHER", "other-value"}, {"EMPTY", ""}});
  Secret s;
  s.source_var = "OPENAI_API_KEY";
  s.proxy_value = kOpenAiToken;
  s.rule_hosts = {"api.openai.com"};
  CHECK(SecretSet::create({s}, env));

  auto missing = s;
  missing.source_var = "NOT_SET";
  auto r = SecretSet::create({missing}, env);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "secret 0 (NOT_SET): environment variable NOT_SET is not set or empty");
  auto empty = s;
  empty.source_var = "EMPTY";
  CHECK_FALSE(SecretSet::create({empty}, env));
  auto bad_type = s;
  bad_type.source_type = "file";
  CHECK_FALSE(SecretSet::create({bad_type}, env));
  auto bad_rule = s;
  bad_rule.rule_hosts = {"*"};
  r = SecretSet::create({bad_rule}, env);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.starts_with("secret 0 (OPENAI_API_KEY): rules: invalid host pattern"));
  auto same_token = s;
  same_token.source_var = "OTHER";
  r = SecretSet::create({s, same_token}, env);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "secrets OPENAI_API_KEY and OTHER use the same proxy token");
  auto prefix_token = s;
  prefix_token.source_var = "OTHER";
  prefix_token.proxy_value = kOpenAiToken + "x";
  CHECK_FALSE(SecretSet::create({s, prefix_token}, env));
  // No error message ever quotes a token or a value.
  for (const auto& bad : {missing, empty, bad_type, bad_rule})
    if (auto e = SecretSet::create({bad}, env); !e) check_clean(e.error().message);
}

TEST_CASE("secrets: redact and value_tokens", "[proxy][secrets]") {
  auto set = make_set();
  CHECK(set.redact("/a/" + kOpenAiToken + "?k=" + kGeminiValue) ==
        "/a/[proxy-token:OPENAI_API_KEY]?k=[secret:GEMINI_API_KEY]");
  auto vt = set.value_tokens();
  REQUIRE(vt.size() == 3);
  CHECK(vt[0].value == kOpenAiValue);  // longest first
  CHECK(vt[0].token == kOpenAiToken);
  CHECK(SecretSet().redact("x") == "x");
  auto h = head(http::verb::get, "/");
  CHECK(SecretSet().apply(h, "anything", nullptr).decision == Decision::allow);
}

TEST_CASE("secrets: maps_host tells where a real value is injected", "[proxy][secrets]") {
  auto set = make_set();
  CHECK(set.maps_host("api.openai.com"));
  CHECK(set.maps_host("API.OpenAI.com."));
  CHECK(set.maps_host("x.anthropic.example"));
  CHECK_FALSE(set.maps_host("anthropic.example"));
  CHECK_FALSE(set.maps_host("echo.test"));
  CHECK_FALSE(SecretSet().maps_host("api.openai.com"));
}

TEST_CASE("secrets: a CONNECT never reaches require (documented contract)", "[proxy][secrets]") {
  // The engine does not pass CONNECT requests to apply(); if it did, a
  // header-less request to a require host would be refused. This pins the
  // behaviour the engine relies on: require is about inner requests.
  auto set = make_set();
  auto connect = head(http::verb::connect, "api.anthropic.com:443");
  CHECK(set.apply(connect, "api.anthropic.com", nullptr).decision == Decision::reject);
}

TEST_CASE("secrets: a streamed body is watched for tokens refused towards its host", "[proxy][secrets]") {
  auto set = make_set();
  // Every split of the stream gives the same verdict, and no byte of a
  // refused token is handed back before the refusal.
  const std::string before = "{\"prompt\":\"hello\",\"key\":\"";
  const std::string stream = before + kOpenAiToken + "\",\"tail\":\"" + std::string(100, 'x') + "\"}";
  auto run = [&](std::string_view host, std::size_t step, std::string& sent) {
    auto watch = set.watch(host);
    if (!watch) {
      sent = stream;
      return std::string();
    }
    for (std::size_t at = 0; at < stream.size(); at += step)
      if (!watch->feed(std::string_view(stream).substr(at, step), sent)) return watch->reason();
    if (!watch->finish(sent)) return watch->reason();
    return std::string();
  };
  for (std::size_t step : {1, 2, 7, 16, 39, 1000}) {
    INFO("step " << step);
    std::string sent;
    auto reason = run("evil.example", step, sent);
    CHECK(reason == "proxy token for OPENAI_API_KEY sent to host evil.example");
    CHECK(sent.find(kOpenAiToken.substr(0, 8)) == std::string::npos);
    CHECK(sent.size() <= before.size());
    CHECK(std::string_view(before).starts_with(sent));
    // Its own host: passes unchanged (no body swap for OpenAI).
    sent.clear();
    CHECK(run("API.OpenAI.com.", step, sent).empty());
    CHECK(sent == stream);
  }
  // Anthropic's token may go to its hosts, OpenAI's may not.
  auto watch = set.watch("x.anthropic.example");
  REQUIRE(watch);
  std::string out;
  CHECK(watch->feed("a " + kAnthropicToken + " b", out));
  CHECK(watch->finish(out));
  CHECK(out == "a " + kAnthropicToken + " b");
  // No token in the body: everything comes back, whatever the host.
  auto plain = set.watch("evil.example");
  REQUIRE(plain);
  out.clear();
  CHECK(plain->feed("no secrets here", out));
  CHECK(plain->finish(out));
  CHECK(out == "no secrets here");
  // After a refusal nothing more is handed back.
  auto refused = set.watch("evil.example");
  out.clear();
  CHECK_FALSE(refused->feed(kGeminiToken + std::string(64, 'y'), out));
  CHECK_FALSE(refused->feed("more", out));
  CHECK_FALSE(refused->finish(out));
  CHECK(out.empty());
  CHECK(refused->reason().find("GEMINI_API_KEY") != std::string::npos);
  // Nothing to watch without secrets.
  CHECK_FALSE(SecretSet().watch("evil.example"));
}

TEST_CASE("secrets: a swapping watch (WebSocket frames) swaps the host's match_body tokens as they pass",
          "[proxy][secrets]") {
  auto set = make_set();
  const std::string stream = "auth " + kAnthropicToken + " and again " + kAnthropicToken + ", done";
  std::string expected = stream;
  replace_all_for_test(expected, kAnthropicToken, kAnthropicValue);
  for (std::size_t step : {1, 5, 33, 1000}) {
    INFO("step " << step);
    auto watch = set.watch("x.anthropic.example", /*swap_own=*/true);
    REQUIRE(watch);
    std::string sent;
    for (std::size_t at = 0; at < stream.size(); at += step)
      REQUIRE(watch->feed(std::string_view(stream).substr(at, step), sent));
    REQUIRE(watch->finish(sent));
    CHECK(sent == expected);
    CHECK(watch->swapped() == std::vector<std::string>{"ANTHROPIC_API_KEY"});
  }
  // Without swap_own (a streamed HTTP body) the token passes as it is.
  auto plain = set.watch("x.anthropic.example");
  REQUIRE(plain);
  std::string sent;
  CHECK(plain->feed(stream, sent));
  CHECK(plain->finish(sent));
  CHECK(sent == stream);
  CHECK(plain->swapped().empty());
  // OpenAI has no match_body: its own token passes unswapped, and a watch
  // is still needed there only for the other hosts' tokens.
  auto openai = set.watch("api.openai.com", true);
  REQUIRE(openai);
  sent.clear();
  CHECK(openai->feed("k " + kOpenAiToken, sent));
  CHECK(openai->finish(sent));
  CHECK(sent == "k " + kOpenAiToken);
  CHECK(openai->swapped().empty());
  // Refusals are unchanged: Anthropic's token towards OpenAI.
  auto refused = set.watch("api.openai.com", true);
  sent.clear();
  CHECK_FALSE(refused->feed(kAnthropicToken + std::string(64, '.'), sent));
  CHECK(refused->reason() == "proxy token for ANTHROPIC_API_KEY sent to host api.openai.com");
  CHECK(sent.empty());
  // A set whose only token may go to the host and has match_body still
  // gives a watch there when swapping (nothing to refuse, something to swap).
  auto only = make_set({provider_secrets()[2]});
  CHECK_FALSE(only.watch("api.anthropic.com"));
  CHECK(only.watch("api.anthropic.com", true));
}
