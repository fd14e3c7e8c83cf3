// sandbox-egress: manages the egress daemon. Each subcommand lives in its
// library; this file is only the dispatch table.
#include <cstdio>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apps/egress_commands.hpp"
#include "apps/version.hpp"

namespace {

void print_usage(std::FILE* out) {
  std::fputs("Usage: sandbox-egress COMMAND [OPTIONS]\n\nCommands:\n", out);
  for (const auto& c : sr::apps::egress_commands())
    std::fprintf(out, "  %-10s %s\n", std::string(c.name).c_str(), std::string(c.summary).c_str());
  std::fputs("\nRun 'sandbox-egress COMMAND --help' for more information on a command.\n", out);
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage(stderr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(stdout);
    return 0;
  }
  if (args[0] == "--version") {
    sr::apps::print_version("sandbox-egress");
    return 0;
  }
  for (const auto& c : sr::apps::egress_commands()) {
    if (c.name == args[0]) return c.run(std::span<const std::string>(args).subspan(1));
  }
  std::fprintf(stderr, "sandbox-egress: error: unknown command '%s'\n", args[0].c_str());
  print_usage(stderr);
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sandbox-egress: error: %s\n", e.what());
  return 1;
}
