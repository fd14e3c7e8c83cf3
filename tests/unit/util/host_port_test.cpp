#include <catch2/catch.hpp>

#include "util/host_port.hpp"

using namespace sr::util;

namespace {
std::string error_of(std::string_view text, const HostPortRules& rules = {}) {
  auto r = parse_host_port(text, rules);
  return r ? std::string("ok") : r.error().message;
}
}  // namespace

TEST_CASE("split_host_port reads host, [v6], host:port and [v6]:port") {
  auto a = split_host_port("example.com:8080", BareColons::refused);
  REQUIRE(a);
  CHECK(a->host == "example.com");
  CHECK(a->port == 8080);
  CHECK_FALSE(a->bracketed);

  auto b = split_host_port("[::1]:443", BareColons::refused);
  REQUIRE(b);
  CHECK(b->host == "::1");
  CHECK(b->port == 443);
  CHECK(b->bracketed);

  auto c = split_host_port("[fe80::1]", BareColons::refused);
  REQUIRE(c);
  CHECK(c->host == "fe80::1");
  CHECK_FALSE(c->port);

  auto d = split_host_port("name", BareColons::refused);
  REQUIRE(d);
  CHECK(d->host == "name");
  CHECK_FALSE(d->port);

  auto e = split_host_port(":9090", BareColons::refused);
  REQUIRE(e);
  CHECK(e->host.empty());
  CHECK(e->port == 9090);
}

TEST_CASE("split_host_port: several bare colons read as the caller says") {
  CHECK_FALSE(split_host_port("::1:80", BareColons::refused));
  auto v6 = split_host_port("::1:80", BareColons::ipv6_host);
  REQUIRE(v6);
  CHECK(v6->host == "::1:80");
  CHECK_FALSE(v6->port);
  auto last = split_host_port("::1:80", BareColons::last_is_port);
  REQUIRE(last);
  CHECK(last->host == "::1");
  CHECK(last->port == 80);
  // One colon is a port separator whatever the rule.
  CHECK(split_host_port("h:1", BareColons::ipv6_host)->port == 1);
}

TEST_CASE("split_host_port refuses malformed brackets and ports") {
  for (auto bad : {"[::1", "[::1]x", "[::1]:", "[a]b]:80", "h:", "h:-1", "h:+80", "h: 80", "h:80x", "h:65536",
                   "h:000080", "[::1]:99999"})
    CHECK_FALSE(split_host_port(bad, BareColons::last_is_port));
  CHECK(split_host_port("h:65535", BareColons::refused)->port == 65535);
  CHECK(split_host_port("h:0", BareColons::refused)->port == 0);
  CHECK(split_host_port("[::1]:1", BareColons::refused).value().port == 1);
}

TEST_CASE("parse_host_port applies the default port and the port-zero rule") {
  CHECK(error_of("h") == "expected host:port");
  CHECK(parse_host_port("h", {.default_port = 2375})->port == 2375);
  CHECK(parse_host_port("[::1]", {.default_port = 2376})->host == "::1");
  CHECK(parse_host_port("h:1", {.default_port = 2375})->port == 1);
  CHECK(error_of("h:0") == "invalid port \"0\"");
  CHECK(parse_host_port("h:0", {.port_zero = PortZero::allowed})->port == 0);
  CHECK(error_of("[::1") == "unterminated IPv6 address");
  CHECK(error_of("h:x") == "invalid port \"x\"");
  CHECK(error_of("a:b:1").starts_with("too many colons"));
}

TEST_CASE("format_host_port brackets IPv6 hosts only") {
  CHECK(format_host_port("127.0.0.1", 80) == "127.0.0.1:80");
  CHECK(format_host_port("::1", 8080) == "[::1]:8080");
  CHECK(format_host_port("fe80::1%eth0", 1) == "[fe80::1%eth0]:1");
  CHECK(format_host_port("example.com", 443) == "example.com:443");
  CHECK(bracket_host("::") == "[::]");
  CHECK(bracket_host("a.b") == "a.b");
  CHECK(strip_brackets("[::1]") == "::1");
  CHECK(strip_brackets("::1") == "::1");
  CHECK(strip_brackets("[") == "[");
  CHECK(strip_brackets("[]") == "");
}

TEST_CASE("format and split round-trip") {
  for (std::string_view host : {"10.0.0.1", "::1", "2001:db8::5", "name.example"}) {
    auto back = parse_host_port(format_host_port(host, 9), {});
    REQUIRE(back);
    CHECK(back->host == host);
    CHECK(back->port == 9);
  }
}
