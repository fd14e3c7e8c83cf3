// parse_go_duration: the Go duration subset iron-proxy configs use for
// proxy.upstream_response_header_timeout.
#include <catch2/catch.hpp>

#include "proxy/rules.hpp"

using sr::proxy::parse_go_duration;
using namespace std::chrono_literals;

TEST_CASE("go durations in the forms iron-proxy configs use", "[proxy][core]") {
  CHECK(parse_go_duration("30s").value() == 30s);
  CHECK(parse_go_duration("1m30s").value() == 90s);
  CHECK(parse_go_duration("1.5s").value() == 1500ms);
  CHECK(parse_go_duration("500ms").value() == 500ms);
  CHECK(parse_go_duration("2h").value() == 2h);
  CHECK(parse_go_duration("0").value() == 0ms);
}

TEST_CASE("invalid go durations are refused with the text", "[proxy][core]") {
  for (const char* bad : {"", "30", "s", "10x", "-5s", "1m30", " 30s"}) {
    auto r = parse_go_duration(bad);
    INFO(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("invalid duration") != std::string::npos);
  }
}
