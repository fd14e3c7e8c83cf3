// sandbox-run's command line, the whole of its main: exec|stop|kill|rm as
// the first word (cli/run_subcommands), else `docker run`'s options (a
// leading `run` dropped), --help and --version, then connect and
// runtime::run_sandbox.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace sr::cli {

// Runs sandbox-run with the words after argv[0] and returns its exit
// status. `print_version` prints the --version line (the binary knows its
// build commit). Its own failures go to stderr through one cli::ErrorReport
// in the format the words or SANDBOX_RUN_ERROR_FORMAT ask for; an exception
// is reported as kind launcher and exits 125: this is the one catch.
int run_main(std::vector<std::string> args, const std::function<void()>& print_version);

}  // namespace sr::cli
