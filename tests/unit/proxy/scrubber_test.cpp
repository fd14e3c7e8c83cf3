#include <catch2/catch.hpp>

#include <random>

#include "proxy/policy/scrubber.hpp"

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

namespace {

using sr::proxy::MessageScrubber;

// Feeds whole messages (each one payload, then its end) and returns the
// messages as the pieces rebuild them, plus the ones still open at the end.
struct Messages {
  std::vector<std::string> ended;
  std::string open;
};

void collect(const std::vector<MessageScrubber::Piece>& pieces, Messages& m) {
  for (const auto& p : pieces) {
    m.open += p.data;
    if (p.ends_message) {
      m.ended.push_back(std::move(m.open));
      m.open.clear();
    }
  }
}

Messages run_messages(const std::shared_ptr<const ScrubRules>& r, const std::vector<std::string>& in,
                      bool finish = true) {
  MessageScrubber s(r);
  Messages m;
  for (const auto& payload : in) {
    std::vector<MessageScrubber::Piece> pieces;
    // Byte by byte: any chunking gives the same messages.
    for (char c : payload) s.feed(std::string_view(&c, 1), pieces);
    REQUIRE(s.end_message(pieces));
    collect(pieces, m);
  }
  std::vector<MessageScrubber::Piece> pieces;
  if (finish) s.finish(pieces);
  collect(pieces, m);
  return m;
}

const std::string kV = "sk-REAL-value-0123456789";
const std::string kT = "openai-token-abcdef";

}  // namespace

TEST_CASE("scrubber: undecided_from is the first position a value could still start",
          "[proxy][scrub]") {
  auto r = rules({{"abcd", "X"}, {"cz", "Y"}});
  CHECK(r->undecided_from("") == 0);
  CHECK(r->undecided_from("xyz") == 3);
  CHECK(r->undecided_from("xxab") == 2);
  CHECK(r->undecided_from("xxabc") == 2);
  CHECK(r->undecided_from("xxabcd") == 6);  // a whole value is decidable
  CHECK(r->undecided_from("xc") == 1);
}

TEST_CASE("scrubber: messages are one stream; a value split across them is replaced where it starts",
          "[proxy][scrub]") {
  auto r = rules({{kV, kT, "K"}});
  for (std::size_t cut = 1; cut < kV.size(); ++cut) {
    INFO("cut at " << cut);
    auto m = run_messages(r, {"head " + kV.substr(0, cut), kV.substr(cut) + " tail"});
    REQUIRE(m.ended.size() == 2);
    CHECK(m.ended[0] == "head " + kT);
    CHECK(m.ended[1] == " tail");
  }
  // Across three messages: the middle one is all value and ends up empty.
  auto three = run_messages(r, {kV.substr(0, 4), kV.substr(4, 10), kV.substr(14) + "!"});
  CHECK(three.ended == std::vector<std::string>{kT, "", "!"});
}

TEST_CASE("scrubber: a held message goes out unchanged when the next data does not continue a value",
          "[proxy][scrub]") {
  auto r = rules({{kV, kT, "K"}});
  auto m = run_messages(r, {"ends with sk-RE", "sk-REAL-nope", "plain"});
  CHECK(m.ended == std::vector<std::string>{"ends with sk-RE", "sk-REAL-nope", "plain"});
}

TEST_CASE("scrubber: only a message whose tail could start a value is held back", "[proxy][scrub]") {
  auto r = rules({{kV, kT, "K"}});
  MessageScrubber s(r);
  std::vector<MessageScrubber::Piece> pieces;
  s.feed("nothing to hold", pieces);
  REQUIRE(s.end_message(pieces));
  Messages m;
  collect(pieces, m);
  CHECK(m.ended == std::vector<std::string>{"nothing to hold"});
  CHECK(s.held_messages() == 0);
  pieces.clear();
  s.feed("maybe sk-", pieces);
  REQUIRE(s.end_message(pieces));
  CHECK(s.held_messages() == 1);
  collect(pieces, m);
  CHECK(m.open == "maybe ");  // the undecided "sk-" waits, and the message end with it
  pieces.clear();
  s.finish(pieces);  // no more data: released as it was
  collect(pieces, m);
  CHECK(m.ended.back() == "maybe sk-");
  CHECK(s.held_messages() == 0);
}

TEST_CASE("scrubber: at most kMaxHeld messages are held back", "[proxy][scrub]") {
  auto r = rules({{kV, kT, "K"}});
  MessageScrubber s(r);
  std::vector<MessageScrubber::Piece> pieces;
  s.feed("sk-", pieces);
  for (std::size_t i = 0; i < MessageScrubber::kMaxHeld; ++i) REQUIRE(s.end_message(pieces));
  CHECK(s.held_messages() == MessageScrubber::kMaxHeld);
  CHECK_FALSE(s.end_message(pieces));
}

TEST_CASE("scrubber: split messages give what one-shot scrubbing of their concatenation gives",
          "[proxy][scrub]") {
  auto r = rules({{"abcab", "1"}, {"bca", "22"}, {"ca", "333"}});
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    for (int i = 0; i < 40; ++i) text += "abcx"[rng() % 4];
    std::vector<std::string> parts;
    for (std::size_t at = 0; at < text.size();) {
      std::size_t n = rng() % 6;
      parts.push_back(text.substr(at, n));
      at += n;
    }
    auto m = run_messages(r, parts);
    std::string joined;
    for (const auto& e : m.ended) joined += e;
    CHECK(joined + m.open == r->scrub(text));
    CHECK(m.ended.size() == parts.size());
  }
}
