#include <catch2/catch.hpp>

#include <csignal>

#include "util/command_runner.hpp"

using namespace sr::util;

namespace {
CommandResult sh(std::string script, Command extra = {}) {
  extra.argv = {"/bin/sh", "-c", std::move(script)};
  auto r = system_command_runner().run(extra);
  REQUIRE(r);
  return *r;
}
}  // namespace

TEST_CASE("the runner captures stdout, stderr and the exit status apart") {
  auto r = sh("echo out; echo err >&2; exit 7");
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK(r.exit_code == 7);
  CHECK_FALSE(r.ok());
  CHECK(r.status_text() == "exit status 7");
  CHECK(sh("true").ok());
}

TEST_CASE("the runner feeds stdin and closes it; without input stdin is empty") {
  CHECK(sh("cat", {.input = std::string("line one\nline two\n")}).out == "line one\nline two\n");
  CHECK(sh("cat").out.empty());
  // A child that exits without reading its input does not take us down with SIGPIPE.
  auto r = sh("exit 3", {.input = std::string(1 << 20, 'x')});
  CHECK(r.exit_code == 3);
}

TEST_CASE("the runner drains both pipes at once (no deadlock on a full stderr)") {
  auto r = sh("head -c 200000 /dev/zero >&2; head -c 200000 /dev/zero");
  CHECK(r.err.size() == 200000);
  CHECK(r.out.size() == 200000);
}

TEST_CASE("an explicit environment is all the child sees") {
  ::setenv("SR_RUNNER_TEST_OURS", "leak", 1);
  auto r = sh("echo \"[$SR_RUNNER_TEST_OURS][$ONLY]\"", {.env = std::map<std::string, std::string>{{"ONLY", "this"}}});
  CHECK(r.out == "[][this]\n");
  CHECK(sh("echo $SR_RUNNER_TEST_OURS").out == "leak\n");
  ::unsetenv("SR_RUNNER_TEST_OURS");
  auto subset = environment_subset({"PATH", "SR_RUNNER_TEST_UNSET"});
  CHECK(subset.count("PATH") == 1);
  CHECK(subset.count("SR_RUNNER_TEST_UNSET") == 0);
}

TEST_CASE("the child starts with default signal dispositions and an empty mask") {
  struct sigaction ignore{}, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGTERM, &ignore, &old);
  auto r = sh("kill -TERM $$; exit 0");
  ::sigaction(SIGTERM, &old, nullptr);
  CHECK(r.signal == SIGTERM);
  CHECK(r.exit_code == -1);
  CHECK(r.status_text() == "killed by signal 15");
}

TEST_CASE("a child past its timeout is killed") {
  auto start = std::chrono::steady_clock::now();
  auto r = sh("echo started; exec sleep 30", {.timeout = std::chrono::milliseconds(300)});
  CHECK(r.timed_out);
  CHECK(r.signal == SIGKILL);
  CHECK(r.out == "started\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("a program that is not on PATH is not_found; find_program searches PATH") {
  auto r = system_command_runner().run({.argv = {"sr-no-such-program-here"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::not_found);
  CHECK(r.error().message.find("sr-no-such-program-here") != std::string::npos);
  CHECK(find_program("sh").has_value());
  CHECK_FALSE(find_program("sr-no-such-program-here"));
  CHECK_FALSE(system_command_runner().run({}));
}
