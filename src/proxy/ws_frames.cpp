#include "proxy/ws_frames.hpp"

#include <algorithm>

namespace sr::proxy {

namespace {

constexpr unsigned kContinuation = 0x0, kText = 0x1, kBinary = 0x2;
constexpr std::size_t kMaxControl = 125;

void add_tally(ScrubTally& into, const ScrubTally& from) {
  if (into.size() < from.size()) into.resize(from.size());
  for (std::size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

}  // namespace

void append_ws_frame(std::string& out, bool fin, unsigned opcode, std::string_view payload) {
  out += static_cast<char>((fin ? 0x80 : 0x00) | (opcode & 0x0f));
  std::uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(n);
  } else if (n <= 0xffff) {
    out += static_cast<char>(126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  } else {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
  }
  out.append(payload);
}

WsFrameScrubber::WsFrameScrubber(std::shared_ptr<const ScrubRules> rules)
    : rules_(std::move(rules)) {}

bool WsFrameScrubber::feed(std::string_view in, std::string& out) {
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
    if (opcode_ & 0x8) {
      control_.append(in.substr(0, take));
    } else {
      emit_data(message_->feed(in.substr(0, take)), false, out);
    }
    in.remove_prefix(take);
    remaining_ -= take;
    if (remaining_ == 0) end_frame(out);
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
  if (len7 == 126) {
    length = (std::uint64_t{byte(2)} << 8) | byte(3);
  } else if (len7 == 127) {
    length = 0;
    for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
    if (length >> 63) return false;
  }
  head_.clear();
  if (masked || reserved_bits) return false;
  bool control = opcode_ & 0x8;
  if (control) {
    if (opcode_ > 0xa || !fin_ || length > kMaxControl) return false;
    control_.clear();
  } else if (opcode_ == kText || opcode_ == kBinary) {
    if (message_) return false;  // a new message inside an unfinished one
    message_.emplace(rules_);
    message_opcode_ = opcode_;
    message_started_ = false;
  } else if (opcode_ != kContinuation || !message_) {
    return false;  // a reserved opcode, or a continuation of nothing
  }
  remaining_ = length;
  in_payload_ = true;
  if (remaining_ == 0) end_frame(out);
  return true;
}

void WsFrameScrubber::end_frame(std::string& out) {
  in_payload_ = false;
  if (opcode_ & 0x8) {
    std::string payload = rules_->scrub(control_, nullptr, &tally_);
    if (payload.size() > kMaxControl) payload.resize(kMaxControl);
    append_ws_frame(out, true, opcode_, payload);
    return;
  }
  if (!fin_) return;
  emit_data(message_->finish(), true, out);
  add_tally(tally_, message_->tally());
  message_.reset();
}

void WsFrameScrubber::emit_data(std::string_view piece, bool final, std::string& out) {
  // Nothing to send yet (all held back as the scrubber's carry): no frame,
  // except the one that ends the message.
  if (piece.empty() && !final) return;
  append_ws_frame(out, final, message_started_ ? kContinuation : message_opcode_, piece);
  message_started_ = true;
}

}  // namespace sr::proxy
