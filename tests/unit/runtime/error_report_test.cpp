// sandbox-run's failure kinds (runtime/error_report.hpp): what an agent
// backend branches on.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/error_report.hpp"

using sr::runtime::error_kind;
using sr::util::Error;
using sr::util::ErrorKind;

TEST_CASE("failure kinds: egress refusals, a dead daemon, Docker unreachable, usage") {
  CHECK(error_kind(Error{ErrorKind::security,
                         "the egress daemon is not running (no pidfile); fix: run `sandbox-egress start`", 0}) ==
        "daemon_dead");
  CHECK(error_kind(Error{ErrorKind::security,
                         "the egress daemon (pid 7) is not accepting connections on 10.0.0.1:9090; fix: x", 0}) ==
        "daemon_dead");
  CHECK(error_kind(Error{ErrorKind::security, "--privileged undoes the sandbox's isolation; fix: drop it", 0}) ==
        "egress_refused");
  CHECK(error_kind(Error{ErrorKind::connect, "connecting to /var/run/docker.sock: No such file or directory", 0}) ==
        "docker_unreachable");
  CHECK(error_kind(Error{ErrorKind::invalid_argument, "unknown flag: --x", 0}) == "usage");
  CHECK(error_kind(Error{ErrorKind::invalid_argument, "reading the sandbox-run config: config.yaml:3:1: x", 0}) ==
        "config");
  CHECK(error_kind(Error{ErrorKind::api, "POST /containers/create: 500", 0}) == "launcher");
}

TEST_CASE("the format: the last --error-format wins, else SANDBOX_RUN_ERROR_FORMAT") {
  using sr::runtime::ErrorFormat;
  using V = std::vector<std::string>;
  ::unsetenv("SANDBOX_RUN_ERROR_FORMAT");
  CHECK(sr::runtime::error_format_from(V{"--rm", "img"}) == ErrorFormat::text);
  CHECK(sr::runtime::error_format_from(V{"--error-format", "json", "img"}) == ErrorFormat::json);
  CHECK(sr::runtime::error_format_from(V{"--error-format=json", "--error-format=text"}) == ErrorFormat::text);
  ::setenv("SANDBOX_RUN_ERROR_FORMAT", "json", 1);
  CHECK(sr::runtime::error_format_from(V{"img"}) == ErrorFormat::json);
  CHECK(sr::runtime::error_format_from(V{"--error-format", "text", "img"}) == ErrorFormat::text);
  ::unsetenv("SANDBOX_RUN_ERROR_FORMAT");
}
