// sandbox-run's main: subcommand or `docker run` options, parse, connect, launch.
#include "cli/run_main.hpp"

#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cli/error_report.hpp"
#include "cli/run/spec.hpp"
#include "cli/run_subcommands.hpp"
#include "docker/client.hpp"
#include "runtime/sandbox.hpp"
#include "util/exit_status.hpp"

namespace sr::cli {

namespace {

int fail(ErrorReport& report, std::string_view kind, const std::string& message) {
  report.error(kind, message, "See 'sandbox-run --help'.");
  return util::kExitLauncher;
}

int run(std::vector<std::string> args, ErrorReport& report, const std::function<void()>& print_version) {
  // `exec`, `stop`, `kill`, `rm` are subcommands only as the first word;
  // `run` as the first word is dropped, so `sandbox-run run exec` runs an
  // image named exec.
  if (!args.empty() && is_subcommand(args.front()))
    return run_subcommand(args.front(), std::vector<std::string>(args.begin() + 1, args.end()), report);
  if (!args.empty() && args.front() == "run") args.erase(args.begin());
  auto command = parse_run_command(args, process_context());
  if (!command) return fail(report, "usage", command.error().message);
  switch (command->action) {
    case Action::help:
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    case Action::version:
      print_version();
      return 0;
    case Action::run:
      break;
  }
  auto client = docker::Client::from_env();
  if (!client) return fail(report, "docker_unreachable", client.error().message);
  return runtime::run_sandbox(std::move(command->spec), **client, report);
}

}  // namespace

int run_main(std::vector<std::string> args, const std::function<void()>& print_version) {
  ErrorReport report(error_format_from(args));
  try {
    return run(std::move(args), report, print_version);
  } catch (const std::exception& e) {
    report.error("launcher", e.what());
    return util::kExitLauncher;
  }
}

}  // namespace sr::cli
