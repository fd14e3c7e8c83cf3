// sandbox-run: `docker run` over the Docker Engine API. The command line is
// cli/run_main; this file only supplies the --version line.
#include <string>
#include <vector>

#include "apps/version.hpp"
#include "cli/run_main.hpp"

int main(int argc, char** argv) {
  return sr::cli::run_main(std::vector<std::string>(argv + 1, argv + argc),
                           [] { sr::apps::print_version("sandbox-run"); });
}
