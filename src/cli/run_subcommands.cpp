// `sandbox-run stop|kill|rm` flags (only those that map to the API) and the
// dispatch of the four subcommands, in the order the Docker CLI judges them.
#include "cli/run_subcommands.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

#include "cli/error_report.hpp"
#include "cli/run/options.hpp"
#include "cli/run/values.hpp"
#include "docker/client.hpp"
#include "util/exit_status.hpp"

namespace sr::cli {

namespace {

using runtime::LifecycleOptions;
using runtime::LifecycleVerb;

using namespace table_terms;

// Each verb's flags (only those that map to the API), read by the pflag
// parser that reads docker run's; as in the Docker CLI, flags and container
// names may mix.
constexpr std::array kStopOptions{
    OptionDef{"help", 'h', F, L, "", "Print usage", nullptr},
    OptionDef{"signal", 's', S, L, "string", "Signal to send to the container", nullptr},
    OptionDef{"time", 't', S, L, "int", "Seconds to wait before killing the container", nullptr},
};
constexpr std::array<std::string_view, 2> kStopAliases{"timeout", "time"};
constexpr std::array kKillOptions{
    OptionDef{"help", 'h', F, L, "", "Print usage", nullptr},
    OptionDef{"signal", 's', S, L, "string", "Signal to send to the container (default SIGKILL)", nullptr},
};
constexpr std::array kRmOptions{
    OptionDef{"force", 'f', F, L, "", "Force the removal of a running container (uses SIGKILL)", nullptr},
    OptionDef{"help", 'h', F, L, "", "Print usage", nullptr},
    OptionDef{"volumes", 'v', F, L, "", "Remove anonymous volumes associated with the container", nullptr},
};

OptionTable lifecycle_table(LifecycleVerb verb) {
  switch (verb) {
    case LifecycleVerb::stop:
      return {kStopOptions, {}, kStopAliases, true};
    case LifecycleVerb::kill:
      return {kKillOptions, {}, {}, true};
    case LifecycleVerb::rm:
      break;
  }
  return {kRmOptions, {}, {}, true};
}

std::string_view verb_name(LifecycleVerb verb) {
  switch (verb) {
    case LifecycleVerb::stop:
      return "stop";
    case LifecycleVerb::kill:
      return "kill";
    case LifecycleVerb::rm:
      break;
  }
  return "rm";
}

LifecycleVerb lifecycle_verb(std::string_view word) {
  return word == "stop" ? LifecycleVerb::stop : word == "kill" ? LifecycleVerb::kill : LifecycleVerb::rm;
}

// The Docker CLI's status for a command-line error: 1 for too few
// arguments, 125 for a bad flag.
int usage_status(const util::Error& e) {
  return e.message.find("requires at least") != std::string::npos ? 1 : util::kExitLauncher;
}

int usage_error(std::string_view verb, const util::Error& e, ErrorReport& report) {
  report.error("usage", e.message, "See 'sandbox-run " + std::string(verb) + " --help'.");
  return usage_status(e);
}

std::string lifecycle_usage(LifecycleVerb verb) {
  const std::string v(verb_name(verb));
  return "Usage:  sandbox-run " + v + " [OPTIONS] CONTAINER [CONTAINER...]\n\n" +
         "Like `docker " + v + "`, for sandboxes sandbox-run started\n\nOptions:\n" +
         format_option_help(lifecycle_table(verb));
}

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int docker_unreachable(const util::Error& e, ErrorReport& report) {
  report.error("docker_unreachable", e.message, "See 'sandbox-run --help'.");
  return util::kExitLauncher;
}

int exec_command(const std::vector<std::string>& args, ErrorReport& report) {
  auto parsed = parse_exec_args(args, process_env_lookup());
  if (!parsed) return usage_error("exec", parsed.error(), report);
  if (parsed->help) {
    std::fputs(exec_usage_text().c_str(), stdout);
    return 0;
  }
  auto client = docker::Client::from_env();
  if (!client) return docker_unreachable(client.error(), report);
  return runtime::run_exec(*parsed, **client, report);
}

// As before any flag is read, the daemon's address is resolved first: a bad
// DOCKER_HOST is reported even for --help.
int lifecycle_command(std::string_view word, const std::vector<std::string>& args, ErrorReport& report) {
  auto client = docker::Client::from_env();
  if (!client) return docker_unreachable(client.error(), report);
  const LifecycleVerb verb = lifecycle_verb(word);
  if (wants_help(args)) {
    std::fputs(lifecycle_usage(verb).c_str(), stdout);
    return 0;
  }
  auto parsed = parse_lifecycle_args(verb, args);
  if (!parsed) return usage_error(word, parsed.error(), report);
  return runtime::run_lifecycle(*parsed, **client, report);
}

}  // namespace

bool is_subcommand(std::string_view word) {
  return word == "exec" || word == "stop" || word == "kill" || word == "rm";
}

int run_subcommand(const std::string& verb, const std::vector<std::string>& args, ErrorReport& report) {
  if (verb == "exec") return exec_command(args, report);
  return lifecycle_command(verb, args, report);
}

// stop [-s SIG] [-t N], kill [-s SIG], rm [-f] [-v].
util::Result<LifecycleOptions> parse_lifecycle_args(LifecycleVerb verb, const std::vector<std::string>& args) {
  SR_ASSIGN(CommandLine line, parse_command_line(lifecycle_table(verb), args));
  LifecycleOptions out;
  out.verb = verb;
  for (const auto& o : line.options) {
    const std::string_view n = o.def->long_name;
    util::Result<void> applied;
    if (n == "signal") {
      out.signal = o.value;
    } else if (n == "time") {
      auto t = parse_int64(o.value);
      if (t && (*t < INT32_MIN || *t > INT32_MAX))
        t = util::fail(util::ErrorKind::invalid_argument, "strconv.ParseInt: parsing \"" + o.value + "\": value out of range");
      if (t) out.timeout = static_cast<int>(*t);
      else applied = std::unexpected(t.error());
    } else if (n == "force" || n == "volumes") {
      auto on = parse_bool(o.value);
      if (!on) applied = std::unexpected(on.error());
      else if (n == "force") out.force = *on ? docker::Force::yes : docker::Force::no;
      else out.volumes = *on ? docker::RemoveVolumes::yes : docker::RemoveVolumes::no;
    }
    if (!applied) return std::unexpected(bad_value(std::move(applied.error()), o));
  }
  out.containers = std::move(line.positional);
  if (out.containers.empty())
    return util::fail(util::ErrorKind::invalid_argument,
                      "'sandbox-run " + std::string(verb_name(verb)) + "' requires at least 1 argument");
  return out;
}

}  // namespace sr::cli
