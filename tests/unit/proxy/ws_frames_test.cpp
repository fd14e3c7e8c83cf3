#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proxy/policy/secrets.hpp"
#include "proxy/policy/ws_frames.hpp"

using sr::proxy::append_ws_frame;
using sr::proxy::Replacement;
using sr::proxy::ScrubRules;
using sr::proxy::WsFrameScrubber;

namespace {

const std::string kReal = "sk-REAL-secret-value-0123456789";
const std::string kToken = "openai-proxy-token-abcdef";

std::shared_ptr<const ScrubRules> rules() {
  return std::make_shared<const ScrubRules>(
      std::vector<Replacement>{{kReal, kToken, "OPENAI_API_KEY"}});
}

struct Frame {
  bool fin;
  unsigned opcode;
  std::string payload;
};

// Decodes frames (the test's own reader, independent of the code under
// test): unmasked as a server sends them, or all masked (then unmasked here)
// as a client sends them.
std::vector<Frame> decode(const std::string& s, bool masked = false) {
  std::vector<Frame> frames;
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s.at(i + k)); };
    Frame f{(b(0) & 0x80) != 0, b(0) & 0x0fu, {}};
    REQUIRE(((b(1) & 0x80) != 0) == masked);
    std::uint64_t n = b(1) & 0x7f;
    std::size_t head = 2;
    if (n == 126) {
      n = (std::uint64_t{b(2)} << 8) | b(3);
      head = 4;
    } else if (n == 127) {
      n = 0;
      for (std::size_t k = 2; k < 10; ++k) n = (n << 8) | b(k);
      head = 10;
    }
    std::string key = masked ? s.substr(i + head, 4) : std::string();
    if (masked) head += 4;
    f.payload = s.substr(i + head, n);
    REQUIRE(f.payload.size() == n);
    for (std::size_t k = 0; masked && k < f.payload.size(); ++k) f.payload[k] ^= key[k % 4];
    i += head + n;
    frames.push_back(std::move(f));
  }
  return frames;
}

std::string frame(bool fin, unsigned opcode, const std::string& payload) {
  std::string out;
  append_ws_frame(out, fin, opcode, payload);
  return out;
}

// Feeds `wire` in pieces of `step` bytes.
std::string run(WsFrameScrubber& scrubber, const std::string& wire, std::size_t step,
                bool expect_ok = true) {
  std::string out;
  bool ok = true;
  for (std::size_t i = 0; i < wire.size() && ok; i += step)
    ok = scrubber.feed(std::string_view(wire).substr(i, step), out);
  CHECK(ok == expect_ok);
  return out;
}

// The data messages of `frames`, reassembled, with the control frames seen.
struct Stream {
  std::vector<std::pair<unsigned, std::string>> messages;
  std::vector<Frame> controls;
};

Stream reassemble(const std::vector<Frame>& frames) {
  Stream s;
  bool open = false;
  for (const auto& f : frames) {
    if (f.opcode & 0x8) {
      CHECK(f.fin);
      s.controls.push_back(f);
      continue;
    }
    if (!open) {
      REQUIRE(f.opcode != 0);
      s.messages.emplace_back(f.opcode, "");
      open = true;
    } else {
      REQUIRE(f.opcode == 0);
    }
    s.messages.back().second += f.payload;
    if (f.fin) open = false;
  }
  CHECK_FALSE(open);
  return s;
}

}  // namespace

TEST_CASE("ws_frames: an echoed secret becomes the token, whatever the chunking",
          "[proxy][ws]") {
  std::string text = "you sent: Bearer " + kReal + " (twice: " + kReal + ")";
  std::string binary(70000, 'b');
  binary.replace(65530, kReal.size(), kReal);  // across the 64 KiB mark, 64-bit length
  std::string wire = frame(true, 1, text) + frame(true, 2, binary) + frame(true, 1, "");
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, wire.size()}) {
    WsFrameScrubber scrubber(rules());
    auto s = reassemble(decode(run(scrubber, wire, step)));
    REQUIRE(s.messages.size() == 3);
    CHECK(s.messages[0] == std::make_pair(1u, "you sent: Bearer " + kToken + " (twice: " +
                                                  kToken + ")"));
    std::string want = binary;
    want.replace(65530, kReal.size(), kToken);
    CHECK(s.messages[1].first == 2u);
    CHECK(s.messages[1].second == want);
    CHECK(s.messages[2] == std::make_pair(1u, std::string()));
    REQUIRE(scrubber.tally().size() == 1);
    CHECK(scrubber.tally()[0] == 3);
  }
}

TEST_CASE("ws_frames: a secret split across fragments, with a ping between them",
          "[proxy][ws]") {
  std::string half1 = "head " + kReal.substr(0, 10);
  std::string half2 = kReal.substr(10) + " tail";
  std::string wire = frame(false, 1, half1) + frame(true, 9, "ping " + kReal) +
                     frame(false, 0, half2) + frame(true, 0, "!") +
                     frame(true, 8, std::string("\x03\xe8", 2) + "bye " + kReal);
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, wire.size()}) {
    WsFrameScrubber scrubber(rules());
    auto s = reassemble(decode(run(scrubber, wire, step)));
    REQUIRE(s.messages.size() == 1);
    CHECK(s.messages[0].second == "head " + kToken + " tail!");
    REQUIRE(s.controls.size() == 2);
    CHECK(s.controls[0].opcode == 9);
    CHECK(s.controls[0].payload == "ping " + kToken);
    CHECK(s.controls[1].opcode == 8);
    CHECK(s.controls[1].payload == std::string("\x03\xe8", 2) + "bye " + kToken);
  }
}

TEST_CASE("ws_frames: a control payload grown past 125 bytes by the swap is cut to 125",
          "[proxy][ws]") {
  auto long_rules = std::make_shared<const ScrubRules>(
      std::vector<Replacement>{{"ab", std::string(100, 't'), "K"}});
  WsFrameScrubber scrubber(long_rules);
  auto frames = decode(run(scrubber, frame(true, 9, "abab"), 1));
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload.size() == 125);
}

TEST_CASE("ws_frames: protocol violations end the relay", "[proxy][ws]") {
  std::string masked = frame(true, 1, "x");
  masked[1] = static_cast<char>(masked[1] | 0x80);
  masked += std::string(4, '\0');
  std::string rsv = frame(true, 1, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);  // permessage-deflate's bit
  const std::vector<std::string> bad = {
      masked,
      rsv,
      frame(true, 0, "continuation of nothing"),
      frame(true, 3, "reserved opcode"),
      frame(false, 9, "fragmented ping"),
      frame(true, 9, std::string(126, 'p')),
      frame(false, 1, "open") + frame(true, 1, "a new message inside it"),
  };
  for (const auto& wire : bad) {
    WsFrameScrubber scrubber(rules());
    run(scrubber, wire, 1, false);
  }
  // What came before the violation was passed on.
  WsFrameScrubber scrubber(rules());
  std::string out;
  CHECK_FALSE(scrubber.feed(frame(true, 1, "fine") + frame(true, 3, "bad"), out));
  auto frames = decode(out);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload == "fine");
}

namespace {

const std::string kOwnToken = "openai-00112233445566778899aabbccddeeff";
const std::string kOtherToken = "anthropic-0123456789abcdef0123456789abcdef";

// A watch for frames towards api.openai.com: its own token may go there,
// Anthropic's may not.
// With `swap`, OpenAI's entry has match_body and the watch swaps its token
// for "real-value" (as the engine builds it for a WebSocket).
sr::proxy::TokenWatch openai_watch(bool swap = false) {
  sr::proxyconf::Secret openai, anthropic;
  openai.source_var = "OPENAI_API_KEY";
  openai.proxy_value = kOwnToken;
  openai.match_headers = {"authorization"};
  openai.match_body = swap;
  openai.rule_hosts = {"api.openai.com"};
  anthropic.source_var = "ANTHROPIC_API_KEY";
  anthropic.proxy_value = kOtherToken;
  anthropic.match_headers = {"x-api-key"};
  anthropic.rule_hosts = {"api.anthropic.com"};
  auto set = sr::proxy::SecretSet::create(
      {openai, anthropic}, [](std::string_view) { return std::optional<std::string>("real-value"); });
  REQUIRE(set);
  auto watch = set->watch("api.openai.com", swap);
  REQUIRE(watch);
  return *watch;
}

std::string client_frame(bool fin, unsigned opcode, const std::string& payload) {
  static const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  std::string out;
  append_ws_frame(out, fin, opcode, payload, key);
  return out;
}

}  // namespace

TEST_CASE("ws_frames: the sandbox's frames are unmasked, watched and sent on re-masked",
          "[proxy][ws]") {
  std::string wire = client_frame(false, 1, "use " + kOwnToken.substr(0, 9)) +
                     client_frame(true, 9, "ping " + kOwnToken) +
                     client_frame(true, 0, kOwnToken.substr(9) + " please") +
                     client_frame(true, 2, std::string(70000, 'z')) +
                     client_frame(true, 8, std::string("\x03\xe8", 2));
  for (std::size_t step : {std::size_t{1}, std::size_t{5}, std::size_t{4096}, wire.size()}) {
    WsFrameScrubber frames(openai_watch());
    std::string out = run(frames, wire, step);
    CHECK(frames.reason().empty());
    auto s = reassemble(decode(out, true));
    REQUIRE(s.messages.size() == 2);
    CHECK(s.messages[0] == std::make_pair(1u, "use " + kOwnToken + " please"));
    CHECK(s.messages[1] == std::make_pair(2u, std::string(70000, 'z')));
    REQUIRE(s.controls.size() == 2);
    CHECK(s.controls[0].payload == "ping " + kOwnToken);
    CHECK(s.controls[1].opcode == 8);
    // A fresh key per frame, not the sandbox's.
    CHECK(out.find(client_frame(true, 9, "ping " + kOwnToken)) == std::string::npos);
  }
}

TEST_CASE("ws_frames: a token that must not go to the host stops the sandbox's frames",
          "[proxy][ws]") {
  std::string before = "hello, here is a key: ";
  std::vector<std::string> wires = {
      // split across two fragments, sent apart
      client_frame(false, 1, before + kOtherToken.substr(0, 20)) +
          client_frame(true, 0, kOtherToken.substr(20) + std::string(200, '.')),
      // in a ping
      client_frame(true, 1, before) + client_frame(true, 9, "p " + kOtherToken),
  };
  for (const auto& wire : wires) {
    for (std::size_t step : {std::size_t{1}, std::size_t{13}, wire.size()}) {
      WsFrameScrubber frames(openai_watch());
      std::string out = run(frames, wire, step, false);
      CHECK(frames.reason() == "proxy token for ANTHROPIC_API_KEY sent to host api.openai.com in a WebSocket frame");
      CHECK(frames.refused());
      CHECK_FALSE(frames.passed_close());
      std::string seen;
      for (const auto& f : decode(out, true)) seen += f.payload;
      CHECK(seen.find(kOtherToken.substr(0, 10)) == std::string::npos);
      CHECK(std::string_view(before).starts_with(seen.substr(0, std::min(seen.size(), before.size()))));
    }
  }
  // A client frame must be masked (RFC 6455 §5.1).
  WsFrameScrubber frames(openai_watch());
  run(frames, frame(true, 1, "unmasked"), 1, false);
  CHECK(frames.reason() == "unmasked WebSocket frame from the client");
  CHECK_FALSE(frames.refused());
}

TEST_CASE("ws_frames: a close frame passed on is noted", "[proxy][ws]") {
  WsFrameScrubber frames(rules());
  run(frames, frame(true, 1, "bye"), 1);
  CHECK_FALSE(frames.passed_close());
  run(frames, frame(true, 8, std::string("\x03\xe8", 2)), 1);
  CHECK(frames.passed_close());
  WsFrameScrubber watched(openai_watch());
  run(watched, client_frame(true, 8, std::string("\x03\xe8", 2)), 3);
  CHECK(watched.passed_close());
}

TEST_CASE("ws_frames: the engine's own close frame: code, reason, cut at 123 bytes on a character",
          "[proxy][ws]") {
  auto f = decode(sr::proxy::ws_close_frame(sr::proxy::kWsClosePolicyViolation, "refused: why"));
  REQUIRE(f.size() == 1);
  CHECK(f[0].fin);
  CHECK(f[0].opcode == 8);
  CHECK(f[0].payload == std::string("\x03\xf0", 2) + "refused: why");
  // 122 ASCII bytes then a 2-byte character: the character would end at
  // byte 124 of the reason, past the 123 allowed, so it is dropped whole.
  std::string reason = std::string(122, 'a') + "\xc3\xa9" + "tail";
  f = decode(sr::proxy::ws_close_frame(sr::proxy::kWsCloseProtocolError, reason));
  REQUIRE(f.size() == 1);
  CHECK(f[0].payload == std::string("\x03\xea", 2) + std::string(122, 'a'));
  // Exactly 123 bytes pass whole.
  f = decode(sr::proxy::ws_close_frame(1008, std::string(123, 'b')));
  CHECK(f[0].payload.size() == 125);
}

TEST_CASE("ws_frames: towards its own host with match_body, the sandbox's token is swapped in frames",
          "[proxy][ws]") {
  std::string wire = client_frame(false, 1, "auth " + kOwnToken.substr(0, 11)) +
                     client_frame(true, 0, kOwnToken.substr(11) + " ok") +
                     client_frame(true, 9, std::string(86, 'p') + kOwnToken);  // 125 bytes
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, wire.size()}) {
    WsFrameScrubber frames(openai_watch(true));
    std::string out = run(frames, wire, step);
    auto s = reassemble(decode(out, true));
    REQUIRE(s.messages.size() == 1);
    CHECK(s.messages[0] == std::make_pair(1u, std::string("auth real-value ok")));
    // A control payload is swapped too (whole; one grown past 125 bytes
    // would be cut, as from the upstream).
    REQUIRE(s.controls.size() == 1);
    CHECK(s.controls[0].payload == std::string(86, 'p') + "real-value");
    CHECK(frames.swapped() == std::vector<std::string>{"OPENAI_API_KEY"});
  }
  // Without match_body the token passes as it is, and nothing is reported.
  WsFrameScrubber frames(openai_watch(false));
  std::string out = run(frames, wire, 5);
  CHECK(reassemble(decode(out, true)).messages[0].second == "auth " + kOwnToken + " ok");
  CHECK(frames.swapped().empty());
}

TEST_CASE("ws_frames: a secret split across two messages, with a ping between, is still scrubbed",
          "[proxy][ws]") {
  for (std::size_t cut : {std::size_t{1}, std::size_t{8}, kReal.size() - 1}) {
    // The second message in two fragments when the rest of the value allows.
    std::string rest = kReal.substr(cut);
    std::string second = rest.size() > 3 ? frame(false, 1, rest.substr(0, 3)) +
                                               frame(true, 0, rest.substr(3) + " Z")
                                         : frame(true, 1, rest + " Z");
    std::string wire = frame(true, 1, "A " + kReal.substr(0, cut)) + frame(true, 9, "p") + second;
    for (std::size_t step : {std::size_t{1}, std::size_t{5}, wire.size()}) {
      INFO("cut " << cut << " step " << step);
      WsFrameScrubber scrubber(rules());
      std::string out = run(scrubber, wire, step);
      // No byte run of the value leaves (its first byte alone is no secret).
      CHECK(out.find(kReal.substr(0, 2)) == std::string::npos);
      auto s = reassemble(decode(out));
      REQUIRE(s.messages.size() == 2);
      CHECK(s.messages[0] == std::make_pair(1u, "A " + kToken));
      CHECK(s.messages[1].second == " Z");
      REQUIRE(s.controls.size() == 1);  // the ping, passed on while the message waited
      CHECK(s.controls[0].payload == "p");
      CHECK(scrubber.tally().at(0) == 1);
    }
  }
}

TEST_CASE("ws_frames: a held message is released by a close frame or by finish()", "[proxy][ws]") {
  std::string held = frame(true, 2, "data " + kReal.substr(0, 5));
  {
    WsFrameScrubber scrubber(rules());
    std::string out = run(scrubber, held + frame(true, 8, std::string("\x03\xe8", 2)), 3);
    auto frames = decode(out);
    REQUIRE_FALSE(frames.empty());
    CHECK(frames.back().opcode == 8);  // the close comes after the released message
    auto s = reassemble(frames);
    REQUIRE(s.messages.size() == 1);
    CHECK(s.messages[0] == std::make_pair(2u, "data " + kReal.substr(0, 5)));
  }
  {
    WsFrameScrubber scrubber(rules());
    std::string out = run(scrubber, held, 1);
    CHECK(out.find(kReal.substr(0, 5)) == std::string::npos);  // still held
    scrubber.finish(out);
    auto s = reassemble(decode(out));
    REQUIRE(s.messages.size() == 1);
    CHECK(s.messages[0].second == "data " + kReal.substr(0, 5));
  }
}

TEST_CASE("ws_frames: more held messages than the cap end the relay", "[proxy][ws]") {
  std::string wire = frame(true, 1, kReal.substr(0, 3));
  for (int i = 0; i < 70; ++i) wire += frame(true, 1, "");
  WsFrameScrubber scrubber(rules());
  run(scrubber, wire, wire.size(), /*expect_ok=*/false);
  CHECK(scrubber.reason().find("held back") != std::string::npos);
  CHECK_FALSE(scrubber.refused());
}
