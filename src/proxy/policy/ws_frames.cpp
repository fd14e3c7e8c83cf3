#include "proxy/policy/ws_frames.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include "util/add_unique.hpp"

namespace sr::proxy {

namespace {

constexpr unsigned kContinuation = 0x0, kText = 0x1, kBinary = 0x2;
constexpr std::size_t kMaxControl = 125;

void add_tally(ScrubTally& into, const ScrubTally& from) {
  if (into.size() < from.size()) into.resize(from.size());
  for (std::size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

}  // namespace

void append_ws_frame(std::string& out, bool fin, unsigned opcode, std::string_view payload,
                     const unsigned char* mask) {
  out += static_cast<char>((fin ? 0x80 : 0x00) | (opcode & 0x0f));
  const char mask_bit = mask ? static_cast<char>(0x80) : 0;
  std::uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(mask_bit | static_cast<char>(n));
  } else if (n <= 0xffff) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
  }
  if (!mask) {
    out.append(payload);
    return;
  }
  out.append(reinterpret_cast<const char*>(mask), 4);
  std::size_t at = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) out[at + i] = static_cast<char>(out[at + i] ^ mask[i % 4]);
}

std::string ws_close_frame(std::uint16_t code, std::string_view reason) {
  std::size_t keep = std::min(reason.size(), kMaxControl - 2);
  // Back off over continuation bytes (10xxxxxx) so no character is cut.
  if (keep < reason.size())
    while (keep > 0 && (static_cast<unsigned char>(reason[keep]) & 0xc0) == 0x80) --keep;
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xff);
  payload.append(reason.substr(0, keep));
  std::string out;
  append_ws_frame(out, true, 0x8, payload);
  return out;
}

WsFrameScrubber::WsFrameScrubber(std::shared_ptr<const ScrubRules> rules)
    : mode_(Scrub{rules, MessageScrubber(rules), {}, false, {}}) {}

WsFrameScrubber::WsFrameScrubber(const TokenWatch& watch) : mode_(Watch{watch, watch}) {}

bool WsFrameScrubber::fail(std::string why) {
  if (reason_.empty()) reason_ = std::move(why);
  return false;
}

bool WsFrameScrubber::refuse(const TokenWatch& watch) {
  if (reason_.empty()) refused_ = true;
  return fail(watch.reason() + " in a WebSocket frame");
}

// --- payloads, per direction -------------------------------------------

void WsFrameScrubber::begin_message() {
  if (auto* scrub = std::get_if<Scrub>(&mode_)) scrub->open.push_back(opcode_);
}

bool WsFrameScrubber::message_piece(std::string_view payload, std::string& out) {
  if (auto* watch = std::get_if<Watch>(&mode_)) {
    std::string piece;
    if (!watch->message.feed(payload, piece)) return refuse(watch->message);
    return emit_data(piece, false, out);
  }
  std::vector<MessageScrubber::Piece> pieces;
  std::get<Scrub>(mode_).messages.feed(payload, pieces);
  return emit_pieces(pieces, out);
}

bool WsFrameScrubber::end_message(std::string& out) {
  if (auto* watch = std::get_if<Watch>(&mode_)) {
    std::string piece;
    if (!watch->message.finish(piece)) return refuse(watch->message);
    return emit_data(piece, true, out);
  }
  std::vector<MessageScrubber::Piece> pieces;
  if (!std::get<Scrub>(mode_).messages.end_message(pieces))
    return fail("more than " + std::to_string(MessageScrubber::kMaxHeld) +
                " WebSocket messages held back on what could be a secret");
  return emit_pieces(pieces, out);
}

// Pieces belong to the oldest message not yet ended in the output.
bool WsFrameScrubber::emit_pieces(const std::vector<MessageScrubber::Piece>& pieces,
                                  std::string& out) {
  auto& scrub = std::get<Scrub>(mode_);
  for (const auto& p : pieces) {
    scrub.unframed += p.data;
    if (!p.ends_message) continue;
    unsigned opcode = scrub.started ? kContinuation : scrub.open.front();
    if (!frame(out, true, opcode, scrub.unframed)) return false;
    scrub.unframed.clear();
    scrub.started = false;
    scrub.open.pop_front();
  }
  return true;
}

bool WsFrameScrubber::flush_unframed(std::string& out) {
  auto* scrub = std::get_if<Scrub>(&mode_);
  if (scrub == nullptr) {
    if (watch_unframed_.empty()) return true;
    if (!frame(out, false, message_started_ ? kContinuation : message_opcode_, watch_unframed_))
      return false;
    watch_unframed_.clear();
    message_started_ = true;
    return true;
  }
  if (scrub->unframed.empty()) return true;
  unsigned opcode = scrub->started ? kContinuation : scrub->open.front();
  if (!frame(out, false, opcode, scrub->unframed)) return false;
  scrub->unframed.clear();
  scrub->started = true;
  return true;
}

void WsFrameScrubber::finish(std::string& out) {
  auto* scrub = std::get_if<Scrub>(&mode_);
  if (scrub == nullptr || !reason_.empty()) return;
  std::vector<MessageScrubber::Piece> pieces;
  scrub->messages.finish(pieces);
  if (emit_pieces(pieces, out)) flush_unframed(out);
}

ScrubTally WsFrameScrubber::tally() const {
  ScrubTally all = tally_;
  if (const auto* scrub = std::get_if<Scrub>(&mode_)) add_tally(all, scrub->messages.tally());
  return all;
}

bool WsFrameScrubber::control_payload(std::string& payload) {
  if (auto* watch = std::get_if<Watch>(&mode_)) {
    std::string passed;
    if (!watch->control.feed(payload, passed) || !watch->control.finish(passed))
      return refuse(watch->control);
    payload = std::move(passed);
    return true;
  }
  payload = std::get<Scrub>(mode_).rules->scrub(payload, nullptr, &tally_);
  return true;
}

std::vector<std::string> WsFrameScrubber::swapped() const {
  const auto* watch = std::get_if<Watch>(&mode_);
  if (watch == nullptr) return {};
  auto names = watch->message.swapped();
  for (auto& name : watch->control.swapped()) util::add_unique(names, std::move(name));
  return names;
}

// --- framing, shared -----------------------------------------------------

bool WsFrameScrubber::feed(std::string_view in, std::string& out) {
  bool ok = feed_frames(in, out);
  // What is decided goes out now, even if no frame ends in this piece.
  return flush_unframed(out) && ok;
}

bool WsFrameScrubber::feed_frames(std::string_view in, std::string& out) {
  if (!reason_.empty()) return false;
  while (!in.empty()) {
    if (!in_payload_) {
      // Gather the header byte by byte up to the length it announces.
      head_ += in.front();
      in.remove_prefix(1);
      std::size_t need = 2;
      if (head_.size() >= 2) {
        unsigned len7 = static_cast<unsigned char>(head_[1]) & 0x7f;
        need += len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        if (static_cast<unsigned char>(head_[1]) & 0x80) need += 4;
      }
      if (head_.size() < need) continue;
      if (!parse_header(out)) return false;
      continue;
    }
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
    std::string_view payload = in.substr(0, take);
    if (from_sandbox()) {
      unmasked_.assign(payload);
      for (char& c : unmasked_) c = static_cast<char>(c ^ mask_[mask_at_++ % 4]);
      payload = unmasked_;
    }
    in.remove_prefix(take);
    remaining_ -= take;
    if (opcode_ & 0x8) {
      control_.append(payload);
    } else if (!message_piece(payload, out)) {
      return false;
    }
    if (remaining_ == 0 && !end_frame(out)) return false;
  }
  return true;
}

bool WsFrameScrubber::parse_header(std::string& out) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(head_[i]); };
  fin_ = byte(0) & 0x80;
  opcode_ = byte(0) & 0x0f;
  bool reserved_bits = byte(0) & 0x70;
  bool masked = byte(1) & 0x80;
  unsigned len7 = byte(1) & 0x7f;
  std::uint64_t length = len7;
  std::size_t key_at = 2;
  if (len7 == 126) {
    length = (std::uint64_t{byte(2)} << 8) | byte(3);
    key_at = 4;
  } else if (len7 == 127) {
    length = 0;
    for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
    if (length >> 63) return fail("WebSocket frame length over 2^63");
    key_at = 10;
  }
  if (masked) std::copy_n(head_.begin() + static_cast<std::ptrdiff_t>(key_at), 4, mask_);
  mask_at_ = 0;
  head_.clear();
  // RFC 6455 §5.1: a client masks every frame, a server none.
  if (masked != from_sandbox())
    return fail(from_sandbox() ? "unmasked WebSocket frame from the client"
                               : "masked WebSocket frame from the server");
  if (reserved_bits) return fail("WebSocket frame with a reserved bit set");
  bool control = opcode_ & 0x8;
  if (control) {
    if (opcode_ > 0xa || !fin_ || length > kMaxControl) return fail("invalid WebSocket control frame");
    control_.clear();
  } else if (opcode_ == kText || opcode_ == kBinary) {
    if (message_opcode_) return fail("WebSocket message inside an unfinished one");
    begin_message();
    message_opcode_ = opcode_;
    message_started_ = false;
  } else if (opcode_ != kContinuation || !message_opcode_) {
    return fail("reserved WebSocket opcode, or a continuation of nothing");
  }
  remaining_ = length;
  in_payload_ = true;
  if (remaining_ == 0) return end_frame(out);
  return true;
}

bool WsFrameScrubber::end_frame(std::string& out) {
  in_payload_ = false;
  if (opcode_ & 0x8) {
    std::string payload = std::move(control_);
    control_.clear();
    if (!control_payload(payload)) return false;
    // A swap or scrub can grow it past what a control frame may carry.
    if (payload.size() > kMaxControl) payload.resize(kMaxControl);
    // No data may follow a close (§5.5.1): nothing is held back past it.
    if (opcode_ == 0x8) finish(out);
    if (!flush_unframed(out)) return false;
    return frame(out, true, opcode_, payload);
  }
  if (!fin_) return true;
  if (!end_message(out)) return false;
  message_opcode_ = 0;
  message_started_ = false;
  return true;
}

// From the sandbox: gathered like the upstream's pieces (emit_pieces), so a
// frame whose message ends in the same read leaves as one frame.
bool WsFrameScrubber::emit_data(std::string_view piece, bool final, std::string& out) {
  watch_unframed_ += piece;
  if (!final) return true;
  if (!frame(out, true, message_started_ ? kContinuation : message_opcode_, watch_unframed_))
    return false;
  watch_unframed_.clear();
  message_started_ = true;
  return true;
}

bool WsFrameScrubber::frame(std::string& out, bool fin, unsigned opcode, std::string_view payload) {
  if (opcode == 0x8) passed_close_ = true;
  if (!from_sandbox()) {
    append_ws_frame(out, fin, opcode, payload);
    return true;
  }
  // §5.3: a fresh, unpredictable key per frame.
  unsigned char key[4];
  if (RAND_bytes(key, sizeof key) != 1) return fail("no random bytes for a WebSocket mask");
  append_ws_frame(out, fin, opcode, payload, key);
  return true;
}

}  // namespace sr::proxy
