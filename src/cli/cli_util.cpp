#include "cli/cli_util.hpp"

#include <cstdio>
#include <vector>

namespace sr::cli {

std::optional<int> parse(CLI::App& app, std::span<const std::string> args) {
  // CLI11 consumes a vector in reverse order.
  std::vector<std::string> rev(args.rbegin(), args.rend());
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "sandbox-egress %s: error: %s\n", app.get_name().c_str(), e.what());
    std::fprintf(stderr, "Run 'sandbox-egress %s --help' for usage.\n", app.get_name().c_str());
    return 2;
  }
  return std::nullopt;
}

void info(const std::string& msg) { std::printf("%s\n", msg.c_str()); }
void warn(const std::string& msg) { std::fprintf(stderr, "sandbox-egress: warning: %s\n", msg.c_str()); }
int error(const std::string& msg) {
  std::fprintf(stderr, "sandbox-egress: error: %s\n", msg.c_str());
  return 1;
}
int error(const util::Error& e) { return error(e.message); }

}  // namespace sr::cli
