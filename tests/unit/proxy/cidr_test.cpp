#include <catch2/catch.hpp>

#include "proxy/cidr.hpp"

using boost::asio::ip::make_address;
using sr::proxy::CidrSet;
using sr::proxy::parse_cidr;

namespace {
const std::vector<std::string> kReferenceDefaults = {
    "127.0.0.0/8", "::1/128",       "169.254.0.0/16", "fe80::/10",     "10.0.0.0/8",   "172.16.0.0/12",
    "192.168.0.0/16", "fc00::/7",   "::ffff:0:0/96",  "100.64.0.0/10", "198.18.0.0/15"};
}

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

TEST_CASE("CidrSet: the default deny list", "[proxy][cidr]") {
  auto set = CidrSet::create(kReferenceDefaults);
  REQUIRE(set);
  for (const char* denied : {"127.0.0.1", "127.255.255.254", "::1", "169.254.169.254", "fe80::1", "10.0.0.1",
                             "172.16.0.1", "172.31.255.255", "192.168.1.1", "fd00::1", "fc00::1",
                             "100.64.0.1", "198.18.0.1", "198.19.255.255"})
    CHECK(set->contains(make_address(denied)));
  for (const char* allowed : {"8.8.8.8", "172.32.0.1", "172.15.255.255", "1.1.1.1", "2606:4700::1111",
                              "100.128.0.1", "198.20.0.1", "11.0.0.1"})
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
