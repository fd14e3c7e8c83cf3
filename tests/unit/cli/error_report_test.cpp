// sandbox-run's failure kinds and their two forms (cli/error_report.hpp):
// what an agent backend branches on.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/error_report.hpp"

using sr::cli::error_kind;
using sr::cli::ErrorFormat;
using sr::cli::ErrorReport;
using sr::util::Error;
using sr::util::ErrorKind;

namespace {

// What `report` writes for the reports `write` makes, in `format`.
template <class Write>
std::string printed(ErrorFormat format, Write write) {
  std::FILE* f = std::tmpfile();
  ErrorReport report(format, f);
  write(report);
  std::string out;
  std::rewind(f);
  for (int c; (c = std::fgetc(f)) != EOF;) out.push_back(static_cast<char>(c));
  std::fclose(f);
  return out;
}

}  // namespace

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
  using V = std::vector<std::string>;
  ::unsetenv("SANDBOX_RUN_ERROR_FORMAT");
  CHECK(sr::cli::error_format_from(V{"--rm", "img"}) == ErrorFormat::text);
  CHECK(sr::cli::error_format_from(V{"--error-format", "json", "img"}) == ErrorFormat::json);
  CHECK(sr::cli::error_format_from(V{"--error-format=json", "--error-format=text"}) == ErrorFormat::text);
  ::setenv("SANDBOX_RUN_ERROR_FORMAT", "json", 1);
  CHECK(sr::cli::error_format_from(V{"img"}) == ErrorFormat::json);
  CHECK(sr::cli::error_format_from(V{"--error-format", "text", "img"}) == ErrorFormat::text);
  ::unsetenv("SANDBOX_RUN_ERROR_FORMAT");
}

TEST_CASE("text: one prefixed line per report, the hint on its own line") {
  CHECK(printed(ErrorFormat::text, [](ErrorReport& r) {
          r.error("usage", "unknown flag: --x", "See 'sandbox-run --help'.");
          r.error(Error{ErrorKind::security, "refused; fix: drop it", 0});
          r.warning("w");
          r.note("n");
        }) == "sandbox-run: error: unknown flag: --x\nSee 'sandbox-run --help'.\n"
              "sandbox-run: error: refused; fix: drop it\n"
              "sandbox-run: warning: w\nsandbox-run: note: n\n");
}

TEST_CASE("json: one object per failure, the fix split off, no hint; warnings stay text") {
  CHECK(printed(ErrorFormat::json, [](ErrorReport& r) {
          r.error("usage", "unknown flag: --x", "See 'sandbox-run --help'.");
          r.error(Error{ErrorKind::security, "refused; fix: drop it", 0});
          r.warning("w");
        }) == "{\"error\":{\"fix\":\"\",\"kind\":\"usage\",\"message\":\"unknown flag: --x\"}}\n"
              "{\"error\":{\"fix\":\"drop it\",\"kind\":\"egress_refused\",\"message\":\"refused\"}}\n"
              "sandbox-run: warning: w\n");
}
