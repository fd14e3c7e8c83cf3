// The command line of `sandbox-run exec|stop|kill|rm`: the Docker CLI's
// flags for each, --help, usage errors and their exit statuses. The
// operations they run are runtime/exec_command and runtime/lifecycle.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/run/env_file.hpp"
#include "runtime/exec_command.hpp"
#include "runtime/lifecycle.hpp"
#include "util/error.hpp"

namespace sr::cli {

class ErrorReport;

// Whether argv[1] names one of the subcommands (exec, stop, kill, rm).
bool is_subcommand(std::string_view word);

// Runs subcommand verb with the words after it; returns the exit status as
// the Docker CLI's command of the same name does (1 for too few arguments,
// 125 for a bad flag or sandbox-run's own failure); failures go to `report`.
int run_subcommand(const std::string& verb, const std::vector<std::string>& args, ErrorReport& report);

// `sandbox-run exec`'s parsed command line: the exec, or --help.
struct ExecArgs : runtime::ExecSpec {
  bool help = false;
};

// Parses the words after `exec` with the Docker CLI's (pflag) rules.
// Options end at CONTAINER; "requires at least 2 arguments" is an
// invalid_argument error.
util::Result<ExecArgs> parse_exec_args(const std::vector<std::string>& args, const EnvLookup& lookup);

// Parses the words after stop, kill or rm (--help is handled before).
util::Result<runtime::LifecycleOptions> parse_lifecycle_args(runtime::LifecycleVerb verb,
                                                             const std::vector<std::string>& args);

std::string exec_usage_text();

}  // namespace sr::cli
