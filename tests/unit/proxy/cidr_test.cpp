#include <catch2/catch.hpp>

#include "proxy/policy/cidr.hpp"
#include "proxyconf/proxy_config.hpp"

#include <algorithm>

using boost::asio::ip::make_address;
using boost::asio::ip::make_address_v6;
using sr::proxy::CidrSet;
using sr::proxy::embedded_ipv4;
using sr::proxy::is_unspecified;
using sr::proxy::parse_cidr;

namespace {
const std::vector<std::string> kOlderDefaults = {
    "127.0.0.0/8", "::1/128",       "169.254.0.0/16", "fe80::/10",     "10.0.0.0/8",   "172.16.0.0/12",
    "192.168.0.0/16", "fc00::/7",   "::ffff:0:0/96",  "100.64.0.0/10", "198.18.0.0/15"};

std::vector<std::string> embedded(const char* v6) {
  std::vector<std::string> out;
  for (const auto& v4 : embedded_ipv4(make_address_v6(v6))) out.push_back(v4.to_string());
  return out;
}
}  // namespace

TEST_CASE("parse_cidr", "[proxy][cidr]") {
  auto c = parse_cidr("10.1.2.3/8");
  REQUIRE(c);
  CHECK(c->to_string() == "10.0.0.0/8");
  CHECK(parse_cidr("::1/128")->to_string() == "::1/128");
  CHECK(parse_cidr("fe80::1/10")->to_string() == "fe80::/10");
  CHECK(parse_cidr("0.0.0.0/0")->to_string() == "0.0.0.0/0");
  auto bare = parse_cidr("10.1.2.3");
  REQUIRE_FALSE(bare);
  CHECK(bare.error().message ==
        "invalid CIDR \"10.1.2.3\": missing the /prefix length (a bare address is not accepted; use /32 or /128)");
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0/8",
                          "x/8", "/8", " 10.0.0.0/8", "10.0.0.0/8 ", "fe80::1%eth0/64", "10.0.0.0/-1"})
    CHECK_FALSE(parse_cidr(bad));
}

TEST_CASE("CidrSet: the default list", "[proxy][cidr]") {
  const auto& defaults = sr::proxyconf::default_deny_cidrs();
  // The list older releases rendered comes first, unchanged.
  REQUIRE(defaults.size() == 21);
  CHECK(std::vector<std::string>(defaults.begin(), defaults.begin() + 11) == kOlderDefaults);
  auto set = CidrSet::create(defaults);
  REQUIRE(set);
  for (const char* denied : {"127.0.0.1", "127.255.255.254", "::1", "169.254.169.254", "fe80::1", "10.0.0.1",
                             "172.16.0.1", "172.31.255.255", "192.168.1.1", "fd00::1", "fc00::1",
                             "100.64.0.1", "198.18.0.1", "198.19.255.255",
                             // added: this network, unspecified, NAT64, discard, documentation,
                             // site-local, multicast, reserved and broadcast
                             "0.0.0.0", "0.1.2.3", "::", "64:ff9b::808:808", "64:ff9b:1::1",
                             "100::1", "2001:db8::1", "fec0::1", "224.0.0.1", "239.255.255.250",
                             "ff02::1", "ff05::1:3", "240.0.0.1", "255.255.255.255",
                             // IPv4-compatible and NAT64 forms of denied IPv4 ranges
                             "::127.0.0.1", "::10.0.0.1", "64:ff9b::a9fe:a9fe"})
    CHECK(set->contains(make_address(denied)));
  for (const char* allowed : {"8.8.8.8", "172.32.0.1", "172.15.255.255", "1.1.1.1", "2606:4700::1111",
                              "100.128.0.1", "198.20.0.1", "11.0.0.1", "223.255.255.255", "1.0.0.0",
                              "2001:db9::1", "100:0:0:1::1", "64:ff9b:2::1", "fe00::1"})
    CHECK_FALSE(set->contains(make_address(allowed)));
  CHECK(set->find(make_address("169.254.169.254"))->to_string() == "169.254.0.0/16");
}

TEST_CASE("CidrSet: IPv4-mapped IPv6 is unmapped first", "[proxy][cidr]") {
  auto v4only = CidrSet::create({"127.0.0.0/8", "169.254.0.0/16"});
  REQUIRE(v4only);
  CHECK(v4only->contains(make_address("::ffff:127.0.0.1")));
  CHECK(v4only->contains(make_address("::ffff:169.254.169.254")));
  CHECK_FALSE(v4only->contains(make_address("::ffff:8.8.8.8")));
  CHECK(v4only->find(make_address("::ffff:127.0.0.1"))->to_string() == "127.0.0.0/8");
  auto mapped = CidrSet::create({"::ffff:0:0/96"});
  REQUIRE(mapped);
  CHECK(mapped->contains(make_address("::ffff:8.8.8.8")));
  CHECK_FALSE(mapped->contains(make_address("8.8.8.8")));
}

TEST_CASE("CidrSet: empty list denies nothing; errors name the entry", "[proxy][cidr]") {
  auto empty = CidrSet::create({});
  REQUIRE(empty);
  CHECK_FALSE(empty->contains(make_address("127.0.0.1")));
  auto bad = CidrSet::create({"10.0.0.0/8", "192.168.1.1"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.starts_with("entry 1: invalid CIDR \"192.168.1.1\""));
  auto host = CidrSet::create({"192.0.2.7/32"});
  REQUIRE(host);
  CHECK(host->contains(make_address("192.0.2.7")));
  CHECK_FALSE(host->contains(make_address("192.0.2.8")));
  auto odd = CidrSet::create({"10.128.0.0/9"});
  CHECK(odd->contains(make_address("10.200.0.1")));
  CHECK_FALSE(odd->contains(make_address("10.127.0.1")));
}

TEST_CASE("embedded_ipv4: mapped, compatible and NAT64 forms", "[proxy][cidr]") {
  CHECK(embedded("::ffff:127.0.0.1") == std::vector<std::string>{"127.0.0.1"});
  CHECK(embedded("::127.0.0.1") == std::vector<std::string>{"127.0.0.1"});
  CHECK(embedded("::") == std::vector<std::string>{"0.0.0.0"});
  CHECK(embedded("64:ff9b::7f00:1") == std::vector<std::string>{"127.0.0.1"});
  CHECK(embedded("64:ff9b::10.1.2.3") == std::vector<std::string>{"10.1.2.3"});
  // Local-use prefix: each RFC 6052 layout the address is valid for.
  auto has = [](const char* v6, const std::string& v4) {
    auto all = embedded(v6);
    return std::find(all.begin(), all.end(), v4) != all.end();
  };
  CHECK(has("64:ff9b:1:7f00:0:100::", "127.0.0.1"));  // /48 layout
  CHECK(has("64:ff9b:1:7f:0:1::", "127.0.0.1"));      // /56
  CHECK(has("64:ff9b:1:0:7f:0:100:0", "127.0.0.1"));  // /64
  CHECK(has("64:ff9b:1::127.0.0.1", "127.0.0.1"));    // /96
  // Only the /96 layout fits (non-zero suffix for the others).
  CHECK(embedded("64:ff9b:1::808:808") == std::vector<std::string>{"8.8.8.8"});
  // A non-zero "u" octet: not a NAT64 address.
  CHECK(embedded("64:ff9b:1:0:ff00::1").empty());
  for (const char* none : {"2001:db8::7f00:1", "fe80::1", "64:ff9b:2::7f00:1", "::ffff:0:7f00:1",
                           "1::7f00:1"})
    CHECK(embedded(none).empty());
}

TEST_CASE("CidrSet: IPv4-compatible and NAT64 forms are judged as their IPv4 address",
          "[proxy][cidr]") {
  auto v4only = CidrSet::create({"127.0.0.0/8", "10.0.0.0/8"});
  REQUIRE(v4only);
  for (const char* denied : {"::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::10.9.8.7",
                             "64:ff9b:1:7f00:0:100::", "64:ff9b:1:0:a:0:100:0", "64:ff9b:1::7f00:1"})
    CHECK(v4only->contains(make_address(denied)));
  for (const char* allowed : {"::8.8.8.8", "64:ff9b::808:808", "64:ff9b:1::808:808", "2001:db8::7f00:1"})
    CHECK_FALSE(v4only->contains(make_address(allowed)));
  CHECK(v4only->find(make_address("64:ff9b::7f00:1"))->to_string() == "127.0.0.0/8");
}

TEST_CASE("is_unspecified: every form of 0.0.0.0 and ::", "[proxy][cidr]") {
  for (const char* yes : {"0.0.0.0", "::", "::ffff:0.0.0.0", "64:ff9b::", "64:ff9b:1::"})
    CHECK(is_unspecified(make_address(yes)));
  for (const char* no : {"0.0.0.1", "::1", "127.0.0.1", "64:ff9b::1", "::ffff:127.0.0.1"})
    CHECK_FALSE(is_unspecified(make_address(no)));
}
