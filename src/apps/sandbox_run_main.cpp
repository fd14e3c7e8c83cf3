// sandbox-run: `docker run` over the Docker Engine API. Parse, connect, launch.
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "apps/version.hpp"
#include "cli/run/spec.hpp"
#include "cli/run_subcommands.hpp"
#include "docker/client.hpp"
#include "runtime/error_report.hpp"
#include "runtime/sandbox.hpp"
#include "util/exit_status.hpp"

namespace {

int fail(std::string_view kind, const std::string& message) {
  sr::runtime::report_error(kind, message, "See 'sandbox-run --help'.");
  return sr::util::kExitLauncher;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> args(argv + 1, argv + argc);
  sr::runtime::set_error_format(sr::runtime::error_format_from(args));
  // `exec`, `stop`, `kill`, `rm` are subcommands only as the first word;
  // `run` as the first word is dropped, so `sandbox-run run exec` runs an
  // image named exec.
  if (!args.empty() && sr::cli::is_subcommand(args.front()))
    return sr::cli::run_subcommand(args.front(), std::vector<std::string>(args.begin() + 1, args.end()));
  if (!args.empty() && args.front() == "run") args.erase(args.begin());
  auto command = sr::cli::parse_run_command(args, sr::cli::process_context());
  if (!command) return fail("usage", command.error().message);
  switch (command->action) {
    case sr::cli::Action::help:
      std::fputs(sr::cli::usage_text().c_str(), stdout);
      return 0;
    case sr::cli::Action::version:
      sr::apps::print_version("sandbox-run");
      return 0;
    case sr::cli::Action::run:
      break;
  }
  auto client = sr::docker::Client::from_env();
  if (!client) return fail("docker_unreachable", client.error().message);
  return sr::runtime::run_sandbox(std::move(command->spec), **client);
} catch (const std::exception& e) {
  sr::runtime::report_error("launcher", e.what());
  return sr::util::kExitLauncher;
}
