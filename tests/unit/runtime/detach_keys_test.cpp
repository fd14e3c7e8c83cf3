// The attach's detachKeys: --detach-keys, else config.json's detachKeys
// ($DOCKER_CONFIG) like the Docker CLI, and only when stdin is attached.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/launcher.hpp"
#include "support/fake_engine.hpp"
#include "support/recording_diagnostics.hpp"

using sr::runtime::launch;
using sr::runtime::RunSpec;
using sr::test::FakeEngine;
using sr::test::RecordingDiagnostics;
namespace fs = std::filesystem;

namespace {

RunSpec spec(bool interactive) {
  RunSpec s;
  s.image = "busybox";
  s.create_body = {{"Image", "busybox"}, {"HostConfig", {{"AutoRemove", true}}}};
  s.auto_remove = true;
  s.quiet = true;
  s.interactive = interactive;
  s.attach_streams = {"stdout", "stderr"};
  return s;
}

// DOCKER_CONFIG pointing at a config.json with `text`, and stdin on
// /dev/null (the launch pumps it), both restored afterwards.
struct Environment {
  fs::path dir = fs::temp_directory_path() / ("sr-detach-keys-" + std::to_string(::getpid()));
  int saved_stdin = ::dup(STDIN_FILENO);
  explicit Environment(const std::string& text) {
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << text;
    ::setenv("DOCKER_CONFIG", dir.c_str(), 1);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
  ~Environment() {
    ::dup2(saved_stdin, STDIN_FILENO);
    ::close(saved_stdin);
    ::unsetenv("DOCKER_CONFIG");
    fs::remove_all(dir);
  }
};

}  // namespace

TEST_CASE("launch -i: config.json's detachKeys is the attach's default", "[launch][detach_keys]") {
  Environment env(R"({"detachKeys": "ctrl-x,x"})");
  FakeEngine engine;
  RecordingDiagnostics diag;
  CHECK(launch(spec(true), engine, diag) == 0);
  CHECK(engine.attach_detach_keys == "ctrl-x,x");
}

TEST_CASE("launch -i --detach-keys: the flag wins over config.json", "[launch][detach_keys]") {
  Environment env(R"({"detachKeys": "ctrl-x,x"})");
  FakeEngine engine;
  RecordingDiagnostics diag;
  RunSpec s = spec(true);
  s.detach_keys = "ctrl-a,a";
  CHECK(launch(s, engine, diag) == 0);
  CHECK(engine.attach_detach_keys == "ctrl-a,a");
}

TEST_CASE("launch without stdin: config.json is not consulted", "[launch][detach_keys]") {
  Environment env(R"({"detachKeys": "ctrl-x,x"})");
  FakeEngine engine;
  RecordingDiagnostics diag;
  CHECK(launch(spec(false), engine, diag) == 0);
  CHECK(engine.attach_detach_keys.empty());
}

TEST_CASE("launch -i: an unreadable config.json warns and keeps the daemon's default",
          "[launch][detach_keys]") {
  Environment env(R"({"detachKeys": 7})");
  FakeEngine engine;
  RecordingDiagnostics diag;
  CHECK(launch(spec(true), engine, diag) == 0);
  CHECK(engine.attach_detach_keys.empty());
}
