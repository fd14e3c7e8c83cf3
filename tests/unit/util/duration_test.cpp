// parse_go_duration: Go's time.ParseDuration, the syntax of iron-proxy's
// proxy.upstream_response_header_timeout and of sandbox-egress's timeouts.
#include <catch2/catch.hpp>

#include "util/duration.hpp"

using sr::util::parse_go_duration;
using namespace std::chrono_literals;

TEST_CASE("go durations in the forms iron-proxy configs use", "[duration]") {
  CHECK(parse_go_duration("30s").value() == 30s);
  CHECK(parse_go_duration("1m30s").value() == 90s);
  CHECK(parse_go_duration("1.5s").value() == 1500ms);
  CHECK(parse_go_duration("500ms").value() == 500ms);
  CHECK(parse_go_duration("2h").value() == 2h);
  CHECK(parse_go_duration("1.5h").value() == 5400s);
  CHECK(parse_go_duration("10us").value() == 10us);
  CHECK(parse_go_duration("3\xC2\xB5s").value() == 3us);
  CHECK(parse_go_duration("0").value() == 0ns);
  CHECK(parse_go_duration("-2s").value() == -2s);  // parsed; callers refuse what is not positive
}

TEST_CASE("invalid go durations are refused with the text", "[duration]") {
  for (const char* bad : {"", "30", "s", "10x", "1m30", " 30s", "1m 30s", "1.2.3s", ".s", "\xC2\xB5s",
                          "9999999999h"}) {
    auto r = parse_go_duration(bad);
    INFO(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("invalid duration") != std::string::npos);
  }
}

TEST_CASE("go durations: fractions are exact, as Go's integer reading", "[duration]") {
  CHECK(parse_go_duration("2.3s").value() == 2300ms);
  CHECK(parse_go_duration("0.1s").value() == 100ms);
  CHECK(parse_go_duration("1.000000001s").value() == 1000000001ns);
  CHECK(parse_go_duration("2562047h").value() == 2562047h);  // within int64 ns
  CHECK_FALSE(parse_go_duration("2562048h"));                // beyond it
}

TEST_CASE("format_go_duration writes what Go's Duration.String() writes", "[duration]") {
  using sr::util::format_go_duration;
  CHECK(format_go_duration(0ns) == "0s");
  CHECK(format_go_duration(999ns) == "999ns");
  CHECK(format_go_duration(1500ns) == "1.5\xC2\xB5s");
  CHECK(format_go_duration(500ms) == "500ms");
  CHECK(format_go_duration(30s) == "30s");
  CHECK(format_go_duration(90s) == "1m30s");
  CHECK(format_go_duration(120s) == "2m0s");
  CHECK(format_go_duration(2300ms) == "2.3s");
  CHECK(format_go_duration(1h) == "1h0m0s");
  CHECK(format_go_duration(5400s) == "1h30m0s");
  CHECK(format_go_duration(-2s) == "-2s");
  for (const char* text : {"30s", "1m30s", "2h0m0s", "1.5s", "250ms", "3.2µs", "17ns", "1h0m0.5s"}) {
    INFO(text);
    CHECK(format_go_duration(parse_go_duration(text).value()) == text);
  }
}
