// `sandbox-run [OPTIONS] IMAGE [COMMAND] [ARG...]` to what to do.
//
// Contract: parsing never touches the daemon. A bad command line is an
// invalid_argument Error (sandbox-run exits 125 on it); the outcome of a run
// is a different thing, the int that launch() returns.
#pragma once

#include <span>
#include <string>

#include "cli/run/env_file.hpp"
#include "cli/run/options.hpp"
#include "cli/run/spec_builder.hpp"
#include "runtime/run_spec.hpp"
#include "util/error.hpp"

namespace sr::cli {

struct Command {
  Action action = Action::run;
  runtime::RunSpec spec;  // meaningful when action == run
};

// What parsing reads from the world: the environment for "-e KEY" and
// --env-file's "KEY", the working directory for "./relative" bind sources.
struct ParseContext {
  EnvLookup lookup;
  std::string cwd;
};

// The context of the current process.
ParseContext process_context();

// Parses the arguments after the program name.
util::Result<Command> parse_run_command(std::span<const std::string> args,
                                        const ParseContext& context);

// The table of `docker run` options sandbox-run supports (and the ones it
// knows but refuses).
const OptionTable& run_option_table();

// The complete --help text, generated from the table.
std::string usage_text();

}  // namespace sr::cli
