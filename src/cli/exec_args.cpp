// `sandbox-run exec`'s command line: an option table read by the same pflag
// parser as `docker run` (cli/run/options), so bundles (-it), -eK=V, -e K=V,
// --env=K=V, --tty=false and the Docker CLI's error texts come from one place.
#include <array>

#include "cli/run/options.hpp"
#include "cli/run/values.hpp"
#include "cli/run_subcommands.hpp"

namespace sr::cli {

namespace {

using namespace table_terms;

// Read by parse_exec_args below, not through apply (no RunSpec to build).
constexpr std::array kExecOptions{
    OptionDef{"detach", 'd', F, L, "", "Detached mode: run command in the background", nullptr},
    OptionDef{"detach-keys", 0, S, L, "string", "Override the key sequence for detaching a container", nullptr},
    OptionDef{"env", 'e', S, A, "list", "Set environment variables", nullptr},
    OptionDef{"env-file", 0, S, A, "list", "Read in a file of environment variables", nullptr},
    OptionDef{"help", 'h', F, L, "", "Print usage", nullptr},
    OptionDef{"interactive", 'i', F, L, "", "Keep STDIN open even if not attached", nullptr},
    OptionDef{"privileged", 0, F, L, "", "Give extended privileges to the command", nullptr},
    OptionDef{"tty", 't', F, L, "", "Allocate a pseudo-TTY", nullptr},
    OptionDef{"user", 'u', S, L, "string", "Username or UID (format: \"<name|uid>[:<group|gid>]\")", nullptr},
    OptionDef{"workdir", 'w', S, L, "string", "Working directory inside the container", nullptr},
};

const OptionTable& exec_table() {
  static const OptionTable table{kExecOptions, {}, {}, false};
  return table;
}

util::Result<void> apply(ExecArgs& spec, const Occurrence& o, const EnvLookup& lookup,
                         std::vector<std::string>& env_files) {
  const std::string_view n = o.def->long_name;
  if (o.def->arity == ValueArity::flag) {
    SR_ASSIGN(const bool on, parse_bool(o.value));
    if (n == "interactive") spec.interactive = on;
    else if (n == "tty") spec.tty = on;
    else if (n == "detach") spec.detach = on;
    else if (n == "privileged") spec.privileged = on;
    else if (n == "help") spec.help = on;
  } else if (n == "workdir") {
    spec.workdir = o.value;
  } else if (n == "user") {
    spec.user = o.value;
  } else if (n == "detach-keys") {
    spec.detach_keys = o.value;
  } else if (n == "env-file") {
    env_files.push_back(o.value);
  } else if (n == "env") {
    SR_ASSIGN(std::string kv, resolve_env_flag(o.value, lookup));
    spec.env.push_back(std::move(kv));
  }
  return {};
}

}  // namespace

util::Result<ExecArgs> parse_exec_args(const std::vector<std::string>& args, const EnvLookup& lookup) {
  SR_ASSIGN(CommandLine line, parse_command_line(exec_table(), args));
  ExecArgs spec;
  std::vector<std::string> env_files;
  for (const auto& o : line.options)
    if (auto r = apply(spec, o, lookup, env_files); !r) return std::unexpected(bad_value(std::move(r.error()), o));
  if (spec.help) return spec;
  if (line.positional.size() < 2)
    return util::fail(util::ErrorKind::invalid_argument, "'sandbox-run exec' requires at least 2 arguments");
  spec.container = line.positional.front();
  spec.cmd.assign(line.positional.begin() + 1, line.positional.end());
  // The CLI puts --env-file values first and -e after them.
  std::vector<std::string> env;
  for (const auto& path : env_files) {
    SR_ASSIGN(auto lines, read_env_file(path, lookup));
    env.insert(env.end(), lines.begin(), lines.end());
  }
  env.insert(env.end(), spec.env.begin(), spec.env.end());
  spec.env = std::move(env);
  return spec;
}

std::string exec_usage_text() {
  return "Usage:  sandbox-run exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
         "Execute a command in a running sandbox (one sandbox-run started)\n\n"
         "Options:\n" +
         format_option_help(exec_table());
}

}  // namespace sr::cli
