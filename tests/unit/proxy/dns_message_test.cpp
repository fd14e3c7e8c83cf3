#include <catch2/catch.hpp>

#include "proxy/dns/dns_message.hpp"

namespace dns = sr::proxy::dns;

namespace {

std::vector<std::uint8_t> query(const std::vector<std::string>& labels, std::uint16_t qtype,
                                std::uint16_t flags = 0x0100, std::uint16_t qdcount = 1) {
  std::vector<std::uint8_t> q{0x12, 0x34, static_cast<std::uint8_t>(flags >> 8),
                              static_cast<std::uint8_t>(flags), 0, static_cast<std::uint8_t>(qdcount),
                              0, 0, 0, 0, 0, 0};
  for (const auto& l : labels) {
    q.push_back(static_cast<std::uint8_t>(l.size()));
    q.insert(q.end(), l.begin(), l.end());
  }
  q.insert(q.end(), {0, 0, static_cast<std::uint8_t>(qtype), 0, 1});
  return q;
}

}  // namespace

TEST_CASE("a query's name is read in lower case and echoed as sent") {
  auto parsed = dns::parse_query(query({"API", "OpenAI", "com"}, dns::kTypeA));
  REQUIRE(parsed.query);
  CHECK(parsed.query->name == "api.openai.com");
  CHECK(parsed.query->name_ok);
  auto r = dns::build_response(*parsed.query, dns::Rcode::noerror, std::array<std::uint8_t, 4>{10, 0, 0, 1});
  CHECK(r.size() == 12 + parsed.query->question.size() + 16);
  CHECK((r[2] & 0x80) != 0);  // QR
  CHECK((r[3] & 0x0f) == 0);  // NOERROR
  CHECK(std::vector<std::uint8_t>(r.end() - 4, r.end()) == std::vector<std::uint8_t>{10, 0, 0, 1});
}

TEST_CASE("a label with a dot or a control byte is not a host name") {
  auto parsed = dns::parse_query(query({"a.b", "test"}, dns::kTypeA));
  REQUIRE(parsed.query);
  CHECK_FALSE(parsed.query->name_ok);
}

TEST_CASE("the 255-byte limit counts the root label too") {
  // 3 x 63 + 62: 255 bytes with the length bytes, 256 with the root: too long.
  std::string l63(63, 'a');
  CHECK_FALSE(dns::parse_query(query({l63, l63, l63, std::string(62, 'b')}, dns::kTypeA)).query);
  // 3 x 63 + 61 = 255 bytes on the wire, 253 characters of text.
  auto ok = dns::parse_query(query({l63, l63, l63, std::string(61, 'b')}, dns::kTypeA));
  REQUIRE(ok.query);
  CHECK(ok.query->name.size() == 253);
}

TEST_CASE("responses, other opcodes and several questions are rejected") {
  CHECK_FALSE(dns::parse_query(query({"a"}, dns::kTypeA, 0x8100)).rejection.answerable);
  auto opcode = dns::parse_query(query({"a"}, dns::kTypeA, 0x2800));
  CHECK(opcode.rejection.rcode == dns::Rcode::notimp);
  auto two = dns::parse_query(query({"a"}, dns::kTypeA, 0x0100, 2));
  CHECK((two.rejection.answerable && two.rejection.rcode == dns::Rcode::formerr));
  CHECK(dns::build_rejection(two.rejection).size() == 12);
  CHECK_FALSE(dns::parse_query(std::vector<std::uint8_t>{1, 2, 3}).rejection.answerable);
}
