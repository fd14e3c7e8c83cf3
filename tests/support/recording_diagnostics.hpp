// A recording runtime::Diagnostics for unit tests: each report becomes one
// line, in order, and nothing is printed.
//   "error launcher: MESSAGE"  a failure the caller named the kind of
//   "error {api}: MESSAGE"     a util::Error (braces: its ErrorKind, from
//                              which cli::ErrorReport derives the kind)
//   "warning: MESSAGE", "note: MESSAGE"
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/diagnostics.hpp"
#include "util/error.hpp"

namespace sr::test {

class RecordingDiagnostics final : public runtime::Diagnostics {
 public:
  void error(std::string_view kind, const std::string& message) override {
    record("error " + std::string(kind) + ": " + message);
  }
  void error(const util::Error& e) override {
    record("error {" + std::string(util::to_string(e.kind)) + "}: " + e.message);
  }
  void warning(const std::string& message) override { record("warning: " + message); }
  void note(const std::string& message) override { record("note: " + message); }

  [[nodiscard]] std::vector<std::string> reports() const {
    std::lock_guard lock(mu_);
    return reports_;
  }

 private:
  void record(std::string line) {
    std::lock_guard lock(mu_);
    reports_.push_back(std::move(line));
  }

  mutable std::mutex mu_;  // warnings may come from a watcher thread
  std::vector<std::string> reports_;
};

}  // namespace sr::test
