// The base64 forms of a real value that the engine's own Basic swap emits
// are scrubbed from an upstream's echo (secrets.hpp, basic_echo_forms).
#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <map>

#include "proxy/policy/scrubber.hpp"
#include "proxy/policy/secrets.hpp"

namespace http = boost::beast::http;
using sr::proxy::RequestHead;
using sr::proxy::ScrubRules;
using sr::proxy::SecretSet;

namespace {

// First bytes 's' (0x73) and 'o' (0x6f): the same top 2 bits, not top 4.
const std::string kValue = "sk-REAL-secret-VALUE-12345";
const std::string kToken = "openai-00112233445566778899aabbccddeeff";

std::string b64(std::string_view raw) {
  std::string out((raw.size() + 2) / 3 * 4 + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Lenient: decodes whatever length, '=' ends it (a scrubbed run of another
// length can leave the string off the 4-character grid).
std::string unb64(std::string_view text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0, have = 0;
  for (char c : text) {
    auto v = alphabet.find(c);
    if (v == std::string::npos) break;
    bits = (bits << 6) | static_cast<unsigned>(v);
    have += 6;
    if (have >= 8) {
      have -= 8;
      out += static_cast<char>((bits >> have) & 0xff);
    }
  }
  return out;
}

SecretSet openai_set() {
  sr::proxyconf::Secret s;
  s.source_var = "OPENAI_API_KEY";
  s.proxy_value = kToken;
  s.match_headers = {"Authorization"};
  s.rule_hosts = {"api.openai.com"};
  auto set = SecretSet::create({s}, [](std::string_view) { return std::optional<std::string>(kValue); });
  REQUIRE(set);
  return std::move(*set);
}

// What the engine sends upstream for the sandbox's Authorization value.
std::string engine_sends(const SecretSet& set, const std::string& sandbox_value) {
  RequestHead h;
  h.method(http::verb::get);
  h.target("/");
  h.version(11);
  h.set(http::field::authorization, sandbox_value);
  auto out = set.apply(h, "api.openai.com", nullptr);
  REQUIRE(out.decision == sr::proxy::Decision::allow);
  return std::string(h[http::field::authorization]);
}

}  // namespace

TEST_CASE("echo forms: Basic user:value echoed back reads as user:token", "[proxy][secrets]") {
  auto set = openai_set();
  ScrubRules rules(set.echo_replacements());
  for (std::string user : {"", "u", "us", "use", "user", "api", "x-access-token", "a:b", "userx"}) {
    INFO("user '" << user << "'");
    std::string sandbox = "Basic " + b64(user + ":" + kToken);
    std::string sent = engine_sends(set, sandbox);
    REQUIRE(unb64(std::string_view(sent).substr(6)) == user + ":" + kValue);
    std::size_t align = (user.size() + 1) % 3;
    for (const std::string& echo : {sent, "{\"authorization\": \"" + sent + "\"}"}) {
      std::string scrubbed = rules.scrub(echo);
      for (const auto& [from, to] : sr::proxy::basic_echo_forms(kValue, kToken))
        CHECK(scrubbed.find(from) == std::string::npos);
      std::size_t at = scrubbed.find("Basic ") + 6;
      std::string b64_part = scrubbed.substr(at, scrubbed.find('"', at) - at);
      std::string decoded = unb64(b64_part);
      // Exact at offset 0 mod 3, and at 2 (2 mixed bits agree for 's'/'o');
      // at 1 the first value byte mixes 4 bits and reads back as neither.
      if (align != 1) {
        CHECK(decoded == user + ":" + kToken);
      } else {
        CHECK(decoded.substr(0, user.size() + 1) == user + ":");
        CHECK(decoded.substr(user.size() + 2) == kToken.substr(1));
      }
      CHECK(decoded.find(kValue.substr(1, kValue.size() - 2)) == std::string::npos);
    }
  }
}

TEST_CASE("echo forms: a value that does not end the payload loses every byte it owns",
          "[proxy][secrets]") {
  auto set = openai_set();
  ScrubRules rules(set.echo_replacements());
  for (std::string pass : {"x", "xy", "password"}) {
    std::string sent = engine_sends(set, "Basic " + b64(kToken + ":" + pass));
    std::string scrubbed = rules.scrub(sent);
    std::string decoded = unb64(scrubbed.substr(6));
    INFO("pass '" << pass << "'");
    // At most 4 bits of the last value byte survive, mixed with ':'.
    CHECK(decoded.find(kValue.substr(0, kValue.size() - 1)) == std::string::npos);
    for (std::size_t i = 0; i + 3 <= kValue.size(); ++i)
      CHECK(decoded.find(kValue.substr(i, 3)) == std::string::npos);
  }
}

TEST_CASE("echo forms: three alignments, padded and not, short runs left out", "[proxy][secrets]") {
  auto forms = sr::proxy::basic_echo_forms(kValue, kToken);
  // At one of the three offsets the value fills its last group: its padded
  // and unpadded runs are one string.
  CHECK(forms.size() == 5);
  // Each form is found in the base64 of some payload holding the value.
  for (const auto& [from, to] : forms) {
    bool found = false;
    for (std::string user : {"", "a", "ab"})
      found = found || b64(user + kValue).find(from) != std::string::npos ||
              b64(user + kValue + "..").find(from) != std::string::npos;
    CHECK(found);
  }
  CHECK(sr::proxy::basic_echo_forms("abc", "tok").empty());
  // A secret without header swaps gets no base64 forms.
  sr::proxyconf::Secret body_only;
  body_only.source_var = "K";
  body_only.proxy_value = kToken;
  body_only.match_body = true;
  body_only.rule_hosts = {"a.example"};
  auto set = SecretSet::create({body_only}, [](std::string_view) { return std::optional<std::string>(kValue); });
  REQUIRE(set);
  CHECK(set->echo_replacements().size() == 1);
}
