// The few DNS messages the engine's responder handles (RFC 1035 §4.1):
// a query with one question in, an answer built from that question out. No
// compression is read (a question's name has none), no record other than
// the question is looked at (an EDNS OPT record in the additional section is
// ignored, and the answer carries none). Pure code, no I/O; fuzzed by
// fuzz/fuzz_dns_message.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sr::proxy::dns {

inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeAaaa = 28;
inline constexpr std::uint16_t kClassIn = 1;

enum class Rcode : std::uint8_t { noerror = 0, formerr = 1, servfail = 2, nxdomain = 3, notimp = 4, refused = 5 };

struct Query {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;  // as received (RD is echoed)
  // The question's name in lower case, labels joined by '.', no trailing
  // dot; "" for the root. `name_ok` is false when a label holds a byte that
  // no host name has (a '.', a control byte, ...): such a name is never
  // looked up, whatever its text.
  std::string name;
  bool name_ok = true;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::vector<std::uint8_t> question;  // the question's wire bytes, echoed
};

// Why a message gets no Query: `answerable` is set when its header was
// readable, so a FORMERR/NOTIMP can still be sent back with its id.
struct Rejection {
  Rcode rcode = Rcode::formerr;
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  bool answerable = false;
};

struct Parsed {
  std::optional<Query> query;
  Rejection rejection;  // when !query
};

// Reads a message received from a client: a query (QR clear), opcode QUERY,
// exactly one question. Bounds-checked: any length is safe.
Parsed parse_query(std::span<const std::uint8_t> message);

// The response to `query`: the question echoed, `rcode`, and an A record
// (TTL `ttl` seconds) for the question's name when `address` is given.
std::vector<std::uint8_t> build_response(const Query& query, Rcode rcode,
                                         const std::optional<std::array<std::uint8_t, 4>>& address,
                                         std::uint32_t ttl = 60);

// A header-only response (no question) for a rejected message.
std::vector<std::uint8_t> build_rejection(const Rejection& rejection);

}  // namespace sr::proxy::dns
