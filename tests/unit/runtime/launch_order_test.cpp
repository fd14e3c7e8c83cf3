// The launch order of runtime::launch against a recording engine: attach and
// wait registered before start, docker's exit codes, and with --rm no
// container left behind whichever call fails.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <string>

#include "runtime/launcher.hpp"
#include "support/fake_engine.hpp"
#include "support/recording_diagnostics.hpp"

using sr::runtime::launch;
using sr::runtime::RunSpec;
using sr::test::FakeEngine;
using sr::test::RecordingDiagnostics;
using sr::util::Error;
using sr::util::ErrorKind;

namespace {

RunSpec spec(bool auto_remove) {
  RunSpec s;
  s.image = "busybox";
  s.create_body = {{"Image", "busybox"}, {"HostConfig", {{"AutoRemove", auto_remove}}}};
  s.auto_remove = auto_remove;
  s.quiet = true;
  return s;
}

Error daemon_error(std::string message) { return Error{ErrorKind::api, std::move(message), 0}; }

// start comes after both attach and wait, when it comes at all.
void require_start_after_attach_and_wait(const FakeEngine& engine) {
  auto start = engine.position("start c1");
  if (start == engine.calls.size()) return;
  CHECK(engine.position("attach c1") < start);
  CHECK(engine.position("wait c1 removed") < start);
}

}  // namespace

TEST_CASE("launch: create, attach, wait, start in that order; the container's status", "[launch]") {
  FakeEngine engine;
  RecordingDiagnostics diag;
  engine.exit_status = 7;
  CHECK(launch(spec(true), engine, diag) == 7);
  CHECK(engine.calls == std::vector<std::string>{"create", "attach c1", "wait c1 removed", "start c1"});
  CHECK(engine.containers.empty());  // the daemon's AutoRemove
}

TEST_CASE("launch --rm: a failed create leaves nothing and exits 125", "[launch]") {
  FakeEngine engine;
  RecordingDiagnostics diag;
  engine.fail.emplace("create", daemon_error("POST /containers/create: 500 Internal Server Error: boom"));
  CHECK(launch(spec(true), engine, diag) == 125);
  CHECK(engine.calls == std::vector<std::string>{"create"});
  CHECK(engine.containers.empty());
}

TEST_CASE("launch --rm: a failed attach or wait removes the container, never starts it, exits 125", "[launch]") {
  for (std::string point : {"attach", "wait"}) {
    CAPTURE(point);
    FakeEngine engine;
    RecordingDiagnostics diag;
    engine.fail.emplace(point, daemon_error(point + " failed"));
    CHECK(launch(spec(true), engine, diag) == 125);
    CHECK(engine.position("start c1") == engine.calls.size());
    CHECK(engine.calls.back() == "remove c1");
    CHECK(engine.containers.empty());
  }
}

TEST_CASE("launch --rm: a failed start removes the container with docker's 125/126/127", "[launch]") {
  struct Case {
    std::string message;
    int status;
  };
  for (const auto& c : {Case{"OCI runtime create failed: exec: \"nope\": executable file not found in $PATH", 127},
                        Case{"OCI runtime create failed: exec: \"/etc\": permission denied", 126},
                        Case{"driver failed programming external connectivity", 125}}) {
    CAPTURE(c.message);
    FakeEngine engine;
    RecordingDiagnostics diag;
    engine.fail.emplace("start", daemon_error(c.message));
    CHECK(launch(spec(true), engine, diag) == c.status);
    require_start_after_attach_and_wait(engine);
    CHECK(engine.calls.back() == "remove c1");
    CHECK(engine.containers.empty());
  }
}

TEST_CASE("launch -d --rm: a failed start removes the container", "[launch]") {
  FakeEngine engine;
  RecordingDiagnostics diag;
  engine.fail.emplace("start", daemon_error("no such file or directory"));
  auto s = spec(true);
  s.detach = true;
  CHECK(launch(s, engine, diag) == 127);
  CHECK(engine.calls == std::vector<std::string>{"create", "start c1", "remove c1"});
  CHECK(engine.containers.empty());
}

TEST_CASE("launch without --rm: a failed attach leaves the container, as docker run does", "[launch]") {
  FakeEngine engine;
  RecordingDiagnostics diag;
  engine.fail.emplace("attach", daemon_error("attach failed"));
  CHECK(launch(spec(false), engine, diag) == 125);
  CHECK(engine.position("remove c1") == engine.calls.size());
  CHECK(engine.containers == std::set<std::string>{"c1"});
}

TEST_CASE("launch: a signal is forwarded with kill; the container's status is returned", "[launch]") {
  FakeEngine engine;
  RecordingDiagnostics diag;
  engine.exits_on_start = false;
  engine.on_start = [] { std::raise(SIGTERM); };  // blocked: read from the launcher's signalfd
  CHECK(launch(spec(true), engine, diag) == 128 + SIGTERM);
  CHECK(engine.position("kill c1 15") > engine.position("start c1"));
  CHECK(engine.containers.empty());
}

TEST_CASE("launch --rm: a failed signal forward keeps the run; the container's own status", "[launch]") {
  FakeEngine engine;
  RecordingDiagnostics diag;
  engine.exits_on_start = false;
  engine.kill_ends_container = false;
  engine.on_start = [] { std::raise(SIGTERM); };
  engine.fail.emplace("kill", daemon_error("POST /containers/c1/kill: 409 Conflict: is not running"));
  engine.on_kill = [&engine] { engine.exit(3); };
  CHECK(launch(spec(true), engine, diag) == 3);
  require_start_after_attach_and_wait(engine);
  CHECK(engine.position("kill c1 15") < engine.calls.size());
  CHECK(engine.containers.empty());
}

TEST_CASE("launch --rm --sig-proxy=false: a terminating signal removes the container, then kills us", "[launch]") {
  int log[2];
  REQUIRE(::pipe2(log, O_CLOEXEC) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(log[0]);
    FakeEngine engine;
    RecordingDiagnostics diag;
    engine.log_fd = log[1];
    engine.exits_on_start = false;
    engine.on_start = [] { std::raise(SIGTERM); };
    auto s = spec(true);
    s.sig_proxy = false;
    int status = launch(s, engine, diag);
    ::_exit(status == 0 ? 99 : status);  // launch must not return
  }
  ::close(log[1]);
  std::string calls;
  char buf[256];
  ssize_t n;
  while ((n = ::read(log[0], buf, sizeof buf)) > 0) calls.append(buf, static_cast<std::size_t>(n));
  ::close(log[0]);
  int wstatus = 0;
  REQUIRE(::waitpid(child, &wstatus, 0) == child);
  CHECK(WIFSIGNALED(wstatus));
  CHECK((WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM));
  CHECK(calls == "create\nattach c1\nwait c1 removed\nstart c1\nremove c1\n");
}
