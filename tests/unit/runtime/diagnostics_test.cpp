// Runtime reports its failures through runtime::Diagnostics and prints none
// of them itself: against the recording engine and a recording Diagnostics,
// stderr stays empty and each failure arrives once, with its kind.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/launcher.hpp"
#include "runtime/lifecycle.hpp"
#include "support/fake_engine.hpp"
#include "support/recording_diagnostics.hpp"

using sr::test::FakeEngine;
using sr::test::RecordingDiagnostics;
using sr::util::Error;
using sr::util::ErrorKind;
using Lines = std::vector<std::string>;

namespace {

// What the process writes to fd 2 while it lives.
class CapturedStderr {
 public:
  CapturedStderr() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
    std::fflush(stderr);
    ::dup2(::fileno(file_), STDERR_FILENO);
  }
  ~CapturedStderr() {
    restore();
    std::fclose(file_);
  }
  std::string text() {
    restore();
    std::string out;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) out.push_back(static_cast<char>(c));
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};

sr::runtime::RunSpec spec() {
  sr::runtime::RunSpec s;
  s.image = "busybox";
  s.create_body = {{"Image", "busybox"}, {"HostConfig", {{"AutoRemove", true}}}};
  s.auto_remove = true;
  s.quiet = true;
  return s;
}

}  // namespace

TEST_CASE("launch: a failed create is reported once through Diagnostics, nothing printed", "[diagnostics]") {
  FakeEngine engine;
  RecordingDiagnostics diag;
  engine.fail.emplace("create", Error{ErrorKind::api, "POST /containers/create: 500 Internal Server Error: boom", 0});
  CapturedStderr err;
  CHECK(sr::runtime::launch(spec(), engine, diag) == 125);
  CHECK(err.text().empty());
  CHECK(diag.reports() == Lines{"error {api}: POST /containers/create: 500 Internal Server Error: boom"});
}

TEST_CASE("launch --rm: a failed clean-up is a second report, of kind launcher", "[diagnostics]") {
  FakeEngine engine;
  RecordingDiagnostics diag;
  engine.fail.emplace("attach", Error{ErrorKind::api, "attach failed", 0});
  engine.fail.emplace("remove", Error{ErrorKind::api, "DELETE /containers/c1: 500 Internal Server Error: busy", 0});
  CapturedStderr err;
  CHECK(sr::runtime::launch(spec(), engine, diag) == 125);
  CHECK(err.text().empty());
  CHECK(diag.reports() == Lines{"error {api}: attach failed",
                                "error launcher: removing container c1: DELETE /containers/c1: 500 Internal "
                                "Server Error: busy"});
}

TEST_CASE("stop: a refusal is sandbox-run's error; a daemon's answer is printed the Docker CLI's way",
          "[diagnostics]") {
  FakeEngine engine;  // its containers carry no sandbox-run label
  RecordingDiagnostics diag;
  sr::runtime::LifecycleOptions options;
  options.containers = {"a"};
  {
    CapturedStderr err;
    CHECK(sr::runtime::run_lifecycle(options, engine, diag) == 1);
    CHECK(err.text().empty());
  }
  CHECK(diag.reports() == Lines{"error {security}: container a was not started by sandbox-run (it has no "
                                "io.sandbox-run.managed label); use the docker CLI for it"});

  engine.fail.emplace("inspect", Error{ErrorKind::not_found, "GET /containers/b/json: 404 Not Found: No such container: b", 0});
  options.containers = {"b"};
  CapturedStderr err;
  CHECK(sr::runtime::run_lifecycle(options, engine, diag) == 1);
  CHECK(err.text() == "Error response from daemon: No such container: b\n");
  CHECK(diag.reports().size() == 1);
}
