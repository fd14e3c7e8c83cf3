// WebSocket frame scrubber (src/proxy/ws_frames.cpp), both directions.
// Upstream to sandbox: any chunking of the upstream's bytes gives the same
// output and verdict as one piece; the output is well-formed server frames
// (unmasked, control frames whole and <= 125 bytes, continuations only
// inside a message); the secret never appears in a data message that was
// passed on whole, nor in the concatenated payloads of all data messages (a
// secret split across messages), also once finish() released what was
// held. Sandbox to upstream (a TokenWatch): the same verdict and
// messages for any chunking; the output is well-formed masked client frames;
// a refused token never appears in anything passed on.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/policy/secrets.hpp"
#include "proxy/policy/ws_frames.hpp"

namespace {

const std::string kSecret = "sk-fuzz";

// Aborts unless `s` is a sequence of well-formed server frames (client
// frames when `masked`: every one masked, payloads unmasked here); returns
// the payloads of the data messages it ends (concatenated), and in `all`
// every control payload and data message passed on, one per line (the last
// one possibly unfinished).
std::string check_frames(const std::string& s, bool masked = false, std::string* all = nullptr,
                         std::string* data = nullptr) {
  std::size_t i = 0;
  bool open = false;
  std::string message, finished;
  while (i < s.size()) {
    if (s.size() - i < 2) std::abort();
    auto b0 = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]);
    if (((b1 & 0x80) != 0) != masked || (b0 & 0x70)) std::abort();
    std::uint64_t n = b1 & 0x7f;
    std::size_t head = 2;
    if (n == 126 || n == 127) {
      std::size_t bytes = n == 126 ? 2 : 8;
      if (s.size() - i < 2 + bytes) std::abort();
      n = 0;
      for (std::size_t k = 0; k < bytes; ++k) n = (n << 8) | static_cast<unsigned char>(s[i + 2 + k]);
      head += bytes;
    }
    std::string key;
    if (masked) {
      if (s.size() - i - head < 4) std::abort();
      key = s.substr(i + head, 4);
      head += 4;
    }
    if (s.size() - i - head < n) std::abort();
    std::string payload = s.substr(i + head, n);
    for (std::size_t k = 0; masked && k < payload.size(); ++k) payload[k] ^= key[k % 4];
    unsigned opcode = b0 & 0x0f;
    bool fin = b0 & 0x80;
    if (opcode & 0x8) {
      if (!fin || n > 125) std::abort();
      if (all) *all += payload + '\n';
    } else if ((opcode == 0) != open) {
      std::abort();
    } else {
      message += payload;
      if (data) *data += payload;
      open = !fin;
      if (fin) {
        finished += message;
        finished += '\n';
        message.clear();
      }
    }
    i += head + n;
  }
  if (all) *all += finished + message;
  return finished;
}

// Feeds `input` to two scrubbers built from `arg`: whole, and in pieces of
// 1..`modulo` bytes (sizes taken from the input); aborts unless both give
// the same verdict and reason. Returns both outputs.
template <class Arg>
std::pair<std::string, std::string> feed_both(const Arg& arg, std::string_view input, unsigned modulo) {
  sr::proxy::WsFrameScrubber whole(arg);
  std::string out_whole;
  bool ok_whole = whole.feed(input, out_whole);
  sr::proxy::WsFrameScrubber pieces(arg);
  std::string out_pieces;
  bool ok_pieces = true;
  std::size_t pos = 0;
  while (pos < input.size() && ok_pieces) {
    std::size_t len = 1 + static_cast<unsigned char>(input[pos]) % modulo;
    ok_pieces = pieces.feed(input.substr(pos, len), out_pieces);
    pos += len;
  }
  if (ok_whole != ok_pieces || whole.reason() != pieces.reason()) std::abort();
  return {std::move(out_whole), std::move(out_pieces)};
}

// The sandbox's direction: a watch towards a.example, where "tok-A-0001"
// may go (swapped for "real-A": its secret has match_body) and "tok-B-0002"
// may not.
void check_client(std::string_view input) {
  sr::proxyconf::Secret a, b;
  a.source_var = "A";
  a.proxy_value = "tok-A-0001";
  a.match_headers = {"authorization"};
  a.rule_hosts = {"a.example"};
  a.match_body = true;
  b.source_var = "B";
  b.proxy_value = "tok-B-0002";
  b.match_headers = {"authorization"};
  b.rule_hosts = {"b.example"};
  static const auto set = sr::proxy::SecretSet::create(
      {a, b}, [](std::string_view name) { return std::optional<std::string>("real-" + std::string(name)); });
  if (!set) std::abort();
  auto watch = set->watch("a.example", /*swap_own=*/true);
  if (!watch) std::abort();
  auto [out_whole, out_pieces] = feed_both(*watch, input, 7);
  std::string all;
  std::string messages = check_frames(out_whole, true, &all);
  if (all.find("tok-B-0002") != std::string::npos) std::abort();
  if (all.find("tok-A-0001") != std::string::npos) std::abort();
  if (check_frames(out_pieces, true) != messages) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto rules = std::make_shared<const sr::proxy::ScrubRules>(
      std::vector<sr::proxy::Replacement>{{kSecret, "TOKEN", "K"}});
  auto [out_whole, out_pieces] = feed_both(rules, input, 5);
  // The data payloads are one stream: no secret in their concatenation,
  // whatever message boundaries (and control frames) it was split across.
  std::string payloads;
  std::string messages = check_frames(out_whole, false, nullptr, &payloads);
  if (payloads.find(kSecret) != std::string::npos) std::abort();
  // Same frames may be cut differently; the messages they carry are equal.
  if (check_frames(out_pieces) != messages) std::abort();
  // The end of the stream releases what was held back: still no secret, and
  // still well-formed frames.
  sr::proxy::WsFrameScrubber ended(rules);
  std::string out_ended;
  if (ended.feed(input, out_ended)) {
    ended.finish(out_ended);
    std::string all_data;
    check_frames(out_ended, false, nullptr, &all_data);
    if (all_data.find(kSecret) != std::string::npos) std::abort();
  }
  check_client(input);
  return 0;
}
