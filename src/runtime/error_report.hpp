// sandbox-run's own failures on stderr, in one place: the text line
// "sandbox-run: error: MESSAGE", or with --error-format json (or
// SANDBOX_RUN_ERROR_FORMAT=json) one JSON object per failure, for an agent
// backend to tell a retryable failure from a policy refusal:
//
//   {"error": {"kind": "egress_refused", "message": "...", "fix": "..."}}
//
// kind: usage | egress_refused | daemon_dead | docker_unreachable | config |
// launcher (docs/user-guide.md). `fix` is "" when there is none to give.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sr::runtime {

enum class ErrorFormat { text, json };

// The format for this process: the last --error-format VALUE (or
// --error-format=VALUE) in `args`, else SANDBOX_RUN_ERROR_FORMAT, else text.
// An unknown value is text (the option parser reports it as a usage error).
ErrorFormat error_format_from(std::span<const std::string> args);
void set_error_format(ErrorFormat f);

// The kind a failure is reported as, from its ErrorKind and message.
std::string_view error_kind(const util::Error& e);

// Prints one failure: `message` is split at "; fix: " into message and fix.
// `hint` (e.g. "See 'sandbox-run --help'.") follows the text line only.
void report_error(std::string_view kind, const std::string& message, std::string_view hint = {});
inline void report_error(const util::Error& e, std::string_view hint = {}) {
  report_error(error_kind(e), e.message, hint);
}

}  // namespace sr::runtime
