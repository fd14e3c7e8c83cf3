#include <catch2/catch.hpp>

#include <deque>

#include "proxy/conn_limits.hpp"

using boost::asio::ip::make_address;
using sr::proxy::ConnLimit;
using sr::proxy::ConnLimits;

TEST_CASE("conn_limits: per client address and in total, places given back", "[proxy][limits]") {
  ConnLimits limits({.per_client = 2, .total = 3});
  auto a = make_address("127.0.0.2");
  auto b = make_address("127.0.0.3");
  std::deque<ConnLimits::Slot> held;
  held.push_back(*limits.admit(a));
  held.push_back(*limits.admit(a));
  auto third = limits.admit(a);
  REQUIRE_FALSE(third);
  CHECK(third.error() == ConnLimit::per_client);
  // The mapped form of an address counts as the address.
  CHECK(limits.admit(make_address("::ffff:127.0.0.2")).error() == ConnLimit::per_client);
  held.push_back(*limits.admit(b));
  CHECK(limits.admit(make_address("127.0.0.4")).error() == ConnLimit::total);
  CHECK(limits.open(a) == 2);
  CHECK(limits.open_total() == 3);
  held.pop_front();
  CHECK(limits.open(a) == 1);
  CHECK(limits.open_total() == 2);
  CHECK(limits.admit(make_address("127.0.0.4")).has_value());  // destroyed at once
  CHECK(limits.open_total() == 2);
  held.clear();
  CHECK(limits.open(a) == 0);
  CHECK(limits.open_total() == 0);
}
