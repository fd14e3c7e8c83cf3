// Go durations (time.ParseDuration), the syntax of iron-proxy's and
// sandbox-egress's timeouts and of docker run's --health-* flags: "30s",
// "1m30s", "500ms", "1.5h".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::util {

// How a refusal is worded. hint: "invalid duration \"X\" (expected e.g. 30s,
// 1m30s, 500ms)", for config files and engine flags. go: Go's own messages
// ("time: invalid duration \"s\"", "time: missing unit in duration \"1\"",
// "time: unknown unit \"x\" in duration \"5x\""), which docker run's flags
// repeat after the Docker CLI.
enum class DurationWording { hint, go };

// Go's grammar: [-+]? ( decimal unit )+ or "0"; units ns us µs ms s m h.
// Exact in integer nanoseconds as Go is (a fraction is scaled in floating
// point, as Go does). Negative and zero durations are parsed; callers decide.
// invalid_argument naming the text otherwise, or when it overflows Go's int64
// nanoseconds.
Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text,
                                                   DurationWording wording = DurationWording::hint);

// Go's Duration.String(): "0s", "500ms", "1.5µs", "1m30s", "2h0m0s". What
// parse_go_duration reads back to the same value; how config models carrying
// std::chrono render into proxy.yaml and serve flags.
std::string format_go_duration(std::chrono::nanoseconds d);

}  // namespace sr::util
