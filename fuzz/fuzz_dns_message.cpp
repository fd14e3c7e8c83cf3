// The DNS responder's parser and answer builder (proxy/dns_message.hpp), fed
// raw datagrams. Properties checked beyond "no crash": a parsed query's name
// holds only host-name bytes when name_ok; the response carries the query's
// id, QR, one question (the query's own bytes) and at most one A record of
// exactly 16 bytes; a rejection is a bare 12-byte header.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "proxy/dns/dns_message.hpp"

namespace dns = sr::proxy::dns;

namespace {

void check_response(const dns::Query& q, const std::vector<std::uint8_t>& r, bool with_a) {
  if (r.size() != 12 + q.question.size() + (with_a ? 16 : 0)) std::abort();
  if (((r[0] << 8) | r[1]) != q.id || !(r[2] & 0x80)) std::abort();
  if (r[4] != 0 || r[5] != 1 || r[7] != (with_a ? 1 : 0)) std::abort();
  if (!std::equal(q.question.begin(), q.question.end(), r.begin() + 12)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = dns::parse_query(std::span(data, size));
  if (!parsed.query) {
    if (parsed.rejection.answerable && dns::build_rejection(parsed.rejection).size() != 12) std::abort();
    return 0;
  }
  const auto& q = *parsed.query;
  if (q.name.size() > 253) std::abort();
  if (q.name_ok && q.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos)
    std::abort();
  if (q.question.size() < 5 || q.question.size() > 259) std::abort();
  check_response(q, dns::build_response(q, dns::Rcode::nxdomain, std::nullopt), false);
  check_response(q, dns::build_response(q, dns::Rcode::noerror, std::array<std::uint8_t, 4>{10, 0, 0, 1}), true);
  return 0;
}
