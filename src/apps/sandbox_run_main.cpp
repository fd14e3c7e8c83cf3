// sandbox-run: `docker run` over the Docker Engine API. Parse, connect, launch.
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "apps/version.hpp"
#include "docker/client.hpp"
#include "runtime/sandbox.hpp"
#include "runtime/spec.hpp"

namespace {

constexpr int kLauncherFailure = 125;  // docker run's status for its own failures

int fail(const std::string& message) {
  std::fprintf(stderr, "sandbox-run: error: %s\nSee 'sandbox-run --help'.\n", message.c_str());
  return kLauncherFailure;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto command = sr::runtime::parse_run_command(args, sr::runtime::process_context());
  if (!command) return fail(command.error().message);
  switch (command->action) {
    case sr::runtime::Action::help:
      std::fputs(sr::runtime::usage_text().c_str(), stdout);
      return 0;
    case sr::runtime::Action::version:
      sr::apps::print_version("sandbox-run");
      return 0;
    case sr::runtime::Action::run:
      break;
  }
  auto client = sr::docker::Client::from_env();
  if (!client) return fail(client.error().message);
  return sr::runtime::run_sandbox(std::move(command->spec), **client);
} catch (const std::exception& e) {
  std::fprintf(stderr, "sandbox-run: error: %s\n", e.what());
  return kLauncherFailure;
}
