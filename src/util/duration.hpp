// Go durations (time.ParseDuration), the syntax of iron-proxy's and
// sandbox-egress's timeouts: "30s", "1m30s", "500ms", "1.5h".
#pragma once

#include <chrono>
#include <string_view>

#include "util/error.hpp"

namespace sr::util {

// Go's grammar: [-+]? ( decimal unit )+ or "0"; units ns us µs ms s m h.
// Negative and zero durations are parsed; callers decide. invalid_argument
// naming the text otherwise, or when it overflows Go's int64 nanoseconds.
Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

}  // namespace sr::util
