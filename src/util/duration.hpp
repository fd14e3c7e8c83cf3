// Go durations (time.ParseDuration), the syntax of iron-proxy's and
// sandbox-egress's timeouts: "30s", "1m30s", "500ms", "1.5h".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::util {

// Go's grammar: [-+]? ( decimal unit )+ or "0"; units ns us µs ms s m h.
// Negative and zero durations are parsed; callers decide. invalid_argument
// naming the text otherwise, or when it overflows Go's int64 nanoseconds.
// Digits are read as integers, as Go does: "2.3s" is exactly 2.3 s.
Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

// Go's Duration.String(): "0s", "500ms", "1.5µs", "1m30s", "2h0m0s". What
// parse_go_duration reads back to the same value; how config models carrying
// std::chrono render into proxy.yaml and serve flags.
std::string format_go_duration(std::chrono::nanoseconds d);

}  // namespace sr::util
