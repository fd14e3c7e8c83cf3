#include "proxy/dns/dns_message.hpp"

namespace sr::proxy::dns {

namespace {

constexpr std::size_t kHeader = 12;
constexpr std::size_t kMaxName = 255;  // RFC 1035 §2.3.4, wire length
constexpr std::uint16_t kQr = 0x8000;
constexpr std::uint16_t kAa = 0x0400;
constexpr std::uint16_t kRd = 0x0100;

std::uint16_t read16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
}

bool host_name_byte(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

void put_header(std::vector<std::uint8_t>& out, std::uint16_t id, std::uint16_t flags, Rcode rcode,
                std::uint16_t qd, std::uint16_t an) {
  put16(out, id);
  // QR, opcode QUERY, AA (the responder is the authority for every name it
  // answers), RD echoed, RA clear (it never recurses).
  put16(out, static_cast<std::uint16_t>(kQr | kAa | (flags & kRd) | static_cast<std::uint16_t>(rcode)));
  put16(out, qd);
  put16(out, an);
  put16(out, 0);
  put16(out, 0);
}

// Reads the question's name at `at`; returns the offset after it.
std::optional<std::size_t> read_name(std::span<const std::uint8_t> m, std::size_t at, Query& q) {
  std::size_t wire = 0;
  for (;;) {
    if (at >= m.size()) return std::nullopt;
    std::uint8_t len = m[at++];
    // The limit counts every length byte, the root's too.
    if (++wire > kMaxName) return std::nullopt;
    if (len == 0) return at;
    // 0b11 is a compression pointer, 0b01/0b10 are obsolete label types;
    // none belongs in a question.
    if (len > 63) return std::nullopt;
    wire += len;
    if (wire > kMaxName || m.size() - at < len) return std::nullopt;
    if (!q.name.empty()) q.name += '.';
    for (std::size_t i = 0; i < len; ++i) {
      auto c = m[at + i];
      if (c >= 'A' && c <= 'Z') c = static_cast<std::uint8_t>(c - 'A' + 'a');
      if (!host_name_byte(c)) q.name_ok = false;
      q.name += static_cast<char>(c);
    }
    at += len;
  }
}

}  // namespace

Parsed parse_query(std::span<const std::uint8_t> m) {
  Parsed out;
  if (m.size() < kHeader) return out;
  Rejection& r = out.rejection;
  r.id = read16(m, 0);
  r.flags = read16(m, 2);
  // A response is never answered (no reflection loops between responders).
  if (r.flags & kQr) return out;
  r.answerable = true;
  if (((r.flags >> 11) & 0xf) != 0) {
    r.rcode = Rcode::notimp;
    return out;
  }
  if (read16(m, 4) != 1) return out;  // FORMERR: one question only
  Query q;
  q.id = r.id;
  q.flags = r.flags;
  auto end = read_name(m, kHeader, q);
  if (!end || m.size() - *end < 4) return out;
  q.qtype = read16(m, *end);
  q.qclass = read16(m, *end + 2);
  q.question.assign(m.begin() + kHeader, m.begin() + static_cast<std::ptrdiff_t>(*end + 4));
  out.query = std::move(q);
  return out;
}

std::vector<std::uint8_t> build_response(const Query& q, Rcode rcode,
                                         const std::optional<std::array<std::uint8_t, 4>>& address,
                                         std::uint32_t ttl) {
  std::vector<std::uint8_t> out;
  out.reserve(kHeader + q.question.size() + 16);
  put_header(out, q.id, q.flags, rcode, 1, address ? 1 : 0);
  out.insert(out.end(), q.question.begin(), q.question.end());
  if (address) {
    put16(out, 0xc000 | kHeader);  // the name: a pointer to the question's
    put16(out, kTypeA);
    put16(out, kClassIn);
    put32(out, ttl);
    put16(out, 4);
    out.insert(out.end(), address->begin(), address->end());
  }
  return out;
}

std::vector<std::uint8_t> build_rejection(const Rejection& r) {
  std::vector<std::uint8_t> out;
  put_header(out, r.id, r.flags, r.rcode, 0, 0);
  return out;
}

}  // namespace sr::proxy::dns
