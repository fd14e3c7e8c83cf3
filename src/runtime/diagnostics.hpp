// The seam through which runtime code reports sandbox-run's own failures,
// warnings and notes. Runtime never formats them: the command line decides
// how they look (cli::ErrorReport writes "sandbox-run: error: ..." or, with
// --error-format json, one JSON object), and a test passes a recording
// implementation. What the Docker CLI itself would print (pull progress, the
// daemon's WARNING lines, "Error response from daemon: ...") is not a
// diagnostic and stays where it is written.
#pragma once

#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::runtime {

class Diagnostics {
 public:
  virtual ~Diagnostics() = default;

  // A failure the caller names the kind of (usage, egress_refused, launcher;
  // docs/user-guide.md lists the kinds).
  virtual void error(std::string_view kind, const std::string& message) = 0;
  // A failure whose kind the reporter derives from the error.
  virtual void error(const util::Error& e) = 0;
  // Something the user should know that does not stop the run; may be
  // called from a thread that watches the run (run_sandbox's daemon check).
  virtual void warning(const std::string& message) = 0;
  virtual void note(const std::string& message) = 0;
};

}  // namespace sr::runtime
