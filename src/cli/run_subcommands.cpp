// `sandbox-run stop|kill|rm` flags (only those that map to the API) and the
// dispatch of the four subcommands, in the order the Docker CLI judges them.
#include "cli/run_subcommands.hpp"

#include <cstdio>

#include "cli/error_report.hpp"
#include "docker/client.hpp"
#include "util/exit_status.hpp"

namespace sr::cli {

namespace {

using runtime::LifecycleOptions;
using runtime::LifecycleVerb;

util::Result<int> parse_int(const std::string& text) {
  try {
    std::size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return util::fail(util::ErrorKind::invalid_argument, "invalid argument \"" + text + "\" for \"-t, --time\"");
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
  std::string flags = verb == LifecycleVerb::stop
                          ? "  -s, --signal string   Signal to send to the container\n"
                            "  -t, --time int        Seconds to wait before killing the container\n"
                      : verb == LifecycleVerb::kill
                          ? "  -s, --signal string   Signal to send to the container (default SIGKILL)\n"
                          : "  -f, --force           Force the removal of a running container (uses SIGKILL)\n"
                            "  -v, --volumes         Remove anonymous volumes associated with the container\n";
  return "Usage:  sandbox-run " + v + " [OPTIONS] CONTAINER [CONTAINER...]\n\n" +
         "Like `docker " + v + "`, for sandboxes sandbox-run started\n\nOptions:\n" + flags;
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
  LifecycleOptions out;
  out.verb = verb;
  const bool signals = verb == LifecycleVerb::stop || verb == LifecycleVerb::kill;
  const bool rm = verb == LifecycleVerb::rm;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    if (auto eq = a.find('='); a.starts_with("--") && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a.resize(eq);
    }
    auto next = [&]() -> util::Result<std::string> {
      if (!value.empty()) return value;
      if (i + 1 >= args.size()) return util::fail(util::ErrorKind::invalid_argument, "flag needs an argument: " + a);
      return args[++i];
    };
    if (a == "--") {
      out.containers.insert(out.containers.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (signals && (a == "-s" || a == "--signal")) {
      SR_ASSIGN(out.signal, next());
    } else if (verb == LifecycleVerb::stop && (a == "-t" || a == "--time" || a == "--timeout")) {
      SR_ASSIGN(std::string t, next());
      SR_ASSIGN(out.timeout, parse_int(t));
    } else if (rm && (a == "-f" || a == "--force")) {
      out.force = docker::Force::yes;
    } else if (rm && (a == "-v" || a == "--volumes")) {
      out.volumes = docker::RemoveVolumes::yes;
    } else if (rm && (a == "-fv" || a == "-vf")) {
      out.force = docker::Force::yes;
      out.volumes = docker::RemoveVolumes::yes;
    } else if (a.size() > 1 && a[0] == '-') {
      return util::fail(util::ErrorKind::invalid_argument, "unknown flag: " + a);
    } else {
      out.containers.push_back(a);
    }
  }
  if (out.containers.empty())
    return util::fail(util::ErrorKind::invalid_argument,
                      "'sandbox-run " + std::string(verb_name(verb)) + "' requires at least 1 argument");
  return out;
}

}  // namespace sr::cli
