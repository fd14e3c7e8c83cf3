#include <catch2/catch.hpp>

#include <random>

#include "proxy/scrubber.hpp"

using sr::proxy::Replacement;
using sr::proxy::ScrubRules;
using sr::proxy::StreamScrubber;

namespace {

std::shared_ptr<const ScrubRules> rules(std::vector<Replacement> r) {
  return std::make_shared<const ScrubRules>(std::move(r));
}

// Streams `text` split at the given cut points.
std::string stream(const std::shared_ptr<const ScrubRules>& r, std::string_view text, std::vector<std::size_t> cuts,
                   std::size_t* max_pending = nullptr) {
  StreamScrubber s(r);
  std::string out;
  std::size_t prev = 0;
  cuts.push_back(text.size());
  for (auto cut : cuts) {
    out += s.feed(text.substr(prev, cut - prev));
    if (max_pending) *max_pending = std::max(*max_pending, s.pending());
    prev = cut;
  }
  out += s.finish();
  return out;
}

}  // namespace

TEST_CASE("scrubber: one-shot replacement", "[proxy][scrub]") {
  auto r = rules({{"sk-real-value", "tok-A"}, {"other-secret", "tok-B"}, {"", "ignored"}});
  std::size_t n = 0;
  CHECK(r->scrub("x sk-real-value y other-secret sk-real-value", &n) == "x tok-A y tok-B tok-A");
  CHECK(n == 3);
  CHECK(r->scrub("nothing here") == "nothing here");
  CHECK(r->scrub("") == "");
  CHECK(r->longest() == 13);
  CHECK(rules({})->empty());
}

TEST_CASE("scrubber: longest match wins at one position", "[proxy][scrub]") {
  auto r = rules({{"abc", "S"}, {"abcdef", "L"}});
  CHECK(r->scrub("xabcdefx abcx") == "xLx Sx");
}

TEST_CASE("scrubber: a secret split at every offset is still caught", "[proxy][scrub]") {
  const std::string secret = "sk-live-0123456789abcdef";
  auto r = rules({{secret, "TOKEN"}, {"zz-second", "T2"}});
  const std::string text = "data: {\"echo\":\"" + secret + "\"}\n\nzz-second" + secret + secret + "tail";
  const std::string expected = r->scrub(text);
  CHECK(expected == "data: {\"echo\":\"TOKEN\"}\n\nT2TOKENTOKENtail");
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    std::size_t pending = 0;
    CHECK(stream(r, text, {cut}, &pending) == expected);
    CHECK(pending < secret.size());
  }
  for (std::size_t a = 0; a <= text.size(); a += 3)
    for (std::size_t b = a; b <= text.size(); b += 5) CHECK(stream(r, text, {a, b}) == expected);
  // one byte at a time
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < text.size(); ++i) every.push_back(i);
  CHECK(stream(r, text, every) == expected);
}

TEST_CASE("scrubber: random chunking equals one-shot (overlapping values)", "[proxy][scrub]") {
  auto r = rules({{"aab", "1"}, {"abab", "2"}, {"ba", "3"}, {"bbbbbbb", "4"}});
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    std::size_t len = rng() % 80;
    for (std::size_t i = 0; i < len; ++i) text += "ab"[rng() % 2];
    std::vector<std::size_t> cuts;
    for (std::size_t i = 0; i < text.size(); ++i)
      if (rng() % 4 == 0) cuts.push_back(i);
    INFO(text);
    CHECK(stream(r, text, cuts) == r->scrub(text));
  }
}

TEST_CASE("scrubber: no rules passes data through unchanged and holds nothing", "[proxy][scrub]") {
  StreamScrubber s(rules({}));
  CHECK(s.feed("abc") == "abc");
  CHECK(s.pending() == 0);
  CHECK(s.finish().empty());
  StreamScrubber null_rules(nullptr);
  CHECK(null_rules.feed("x") == "x");
}

TEST_CASE("scrubber: memory stays bounded on a large stream", "[proxy][scrub]") {
  const std::string secret(40, 'S');
  auto r = rules({{secret, "T"}});
  StreamScrubber s(r);
  std::size_t out_bytes = 0;
  std::string chunk(4096, 'x');
  chunk.replace(4080, 16, std::string(16, 'S'));  // a partial secret at the end of each chunk
  for (int i = 0; i < 1000; ++i) {
    out_bytes += s.feed(chunk).size();
    CHECK(s.pending() < secret.size());
  }
  out_bytes += s.finish().size();
  CHECK(out_bytes == 4096u * 1000);
  CHECK(s.replacements() == 0);
}

TEST_CASE("scrubber: replacements are tallied per rule, one-shot and streamed", "[proxy][scrub]") {
  auto r = rules({{"short-val", "T1", "SHORT_KEY"}, {"a-much-longer-value", "T2", "LONG_KEY"}});
  REQUIRE(r->size() == 2);
  // Rules are sorted longest first; names follow their rule.
  CHECK(r->rule_name(0) == "LONG_KEY");
  CHECK(r->rule_name(1) == "SHORT_KEY");
  sr::proxy::ScrubTally tally;
  std::size_t n = 0;
  CHECK(r->scrub("short-val a-much-longer-value short-val", &n, &tally) == "T1 T2 T1");
  CHECK(n == 3);
  REQUIRE(tally.size() == 2);
  CHECK(tally[0] == 1);
  CHECK(tally[1] == 2);
  const std::string text = "x a-much-longer-value y short-val z short-val";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    StreamScrubber s(r);
    std::string out = s.feed(text.substr(0, cut));
    out += s.feed(text.substr(cut));
    out += s.finish();
    CHECK(out == "x T2 y T1 z T1");
    REQUIRE(s.tally().size() == 2);
    CHECK(s.tally()[0] == 1);
    CHECK(s.tally()[1] == 2);
    CHECK(s.replacements() == 3);
  }
}
