// The sandbox-egress command table. Each command parses its own flags and
// returns the process exit code: 0 success, 1 failure, 2 usage.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sr::apps {

struct EgressCommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(std::span<const std::string> args);
};

const std::vector<EgressCommand>& egress_commands();

}  // namespace sr::apps
