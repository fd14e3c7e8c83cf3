// sandbox-run's own failures, warnings and notes on stderr, in one place
// (runtime reports them through runtime::Diagnostics, this implements it):
// the text line "sandbox-run: error: MESSAGE", or with --error-format json
// (or SANDBOX_RUN_ERROR_FORMAT=json) one JSON object per failure, for an
// agent backend to tell a retryable failure from a policy refusal:
//
//   {"error": {"kind": "egress_refused", "message": "...", "fix": "..."}}
//
// kind: usage | egress_refused | daemon_dead | docker_unreachable | config |
// launcher (docs/user-guide.md). `fix` is "" when there is none to give.
// Warnings and notes are text lines in either format.
#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "runtime/diagnostics.hpp"
#include "util/error.hpp"

namespace sr::cli {

enum class ErrorFormat { text, json };

// The format for this process: the last --error-format VALUE (or
// --error-format=VALUE) in `args`, else SANDBOX_RUN_ERROR_FORMAT, else text.
// An unknown value is text (the option parser reports it as a usage error).
ErrorFormat error_format_from(std::span<const std::string> args);

// The kind a failure is reported as, from its ErrorKind and message.
std::string_view error_kind(const util::Error& e);

// Writes each report to `out` as one line (stderr unless a test says).
class ErrorReport final : public runtime::Diagnostics {
 public:
  explicit ErrorReport(ErrorFormat format, std::FILE* out = stderr) : format_(format), out_(out) {}

  // `message` is split at "; fix: " into message and fix in the JSON form.
  void error(std::string_view kind, const std::string& message) override { error(kind, message, {}); }
  void error(const util::Error& e) override { error(error_kind(e), e.message, {}); }
  // `hint` (e.g. "See 'sandbox-run --help'.") follows the text line only.
  void error(std::string_view kind, const std::string& message, std::string_view hint);
  void warning(const std::string& message) override;
  void note(const std::string& message) override;

 private:
  ErrorFormat format_;
  std::FILE* out_;
};

}  // namespace sr::cli
