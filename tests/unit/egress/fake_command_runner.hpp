// An IptablesRunner for the firewall and interception tests: records each
// command as one line; "-C" (check) answers `present`, "-D" succeeds
// `deletes` times, "-S" prints `listing`. The operation is found after an
// optional "-t TABLE".
#pragma once

#include <string>
#include <vector>

#include "egress/firewall.hpp"

namespace sr_test {

struct FakeCommandRunner : sr::egress::IptablesRunner {
  std::vector<std::string> ran;
  bool present = false;
  int deletes = 1;
  std::string listing;

  static std::string op(const std::vector<std::string>& argv) {
    if (argv.size() > 4 && argv[2] == "-t") return argv[4];
    return argv.size() > 2 ? argv[2] : "";
  }
  sr::util::Result<int> run(const std::vector<std::string>& argv) override {
    record(argv);
    if (op(argv) == "-C") return present ? 0 : 1;
    if (op(argv) == "-D") return deletes-- > 0 ? 0 : 1;
    return 0;
  }
  sr::util::Result<std::string> output(const std::vector<std::string>& argv) override {
    record(argv);
    return listing;
  }
  void record(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
    ran.push_back(line);
  }
};

}  // namespace sr_test
