#include "runtime/lifecycle.hpp"

#include "runtime/error_report.hpp"

#include <cstdio>

#include "docker/engine.hpp"
#include "runtime/egress_plan.hpp"
#include "util/exit_status.hpp"

namespace sr::runtime {

namespace {

struct LifecycleArgs {
  std::vector<std::string> containers;
  std::string signal;
  int timeout = -1;
  bool force = false;
  bool volumes = false;
};

util::Result<int> parse_int(const std::string& text) {
  try {
    std::size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return util::fail(util::ErrorKind::invalid_argument, "invalid argument \"" + text + "\" for \"-t, --time\"");
}

// stop [-s SIG] [-t N], kill [-s SIG], rm [-f] [-v]: the flags that map to the API.
util::Result<LifecycleArgs> parse(std::string_view verb, const std::vector<std::string>& args) {
  LifecycleArgs out;
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
    const bool signals = verb == "stop" || verb == "kill";
    if (a == "--") {
      out.containers.insert(out.containers.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (signals && (a == "-s" || a == "--signal")) {
      SR_ASSIGN(out.signal, next());
    } else if (verb == "stop" && (a == "-t" || a == "--time" || a == "--timeout")) {
      SR_ASSIGN(std::string t, next());
      SR_ASSIGN(out.timeout, parse_int(t));
    } else if (verb == "rm" && (a == "-f" || a == "--force")) {
      out.force = true;
    } else if (verb == "rm" && (a == "-v" || a == "--volumes")) {
      out.volumes = true;
    } else if (verb == "rm" && (a == "-fv" || a == "-vf")) {
      out.force = out.volumes = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return util::fail(util::ErrorKind::invalid_argument, "unknown flag: " + a);
    } else {
      out.containers.push_back(a);
    }
  }
  if (out.containers.empty())
    return util::fail(util::ErrorKind::invalid_argument,
                      "'sandbox-run " + std::string(verb) + "' requires at least 1 argument");
  return out;
}

util::Result<void> act(std::string_view verb, const LifecycleArgs& a, docker::ContainerEngine& engine,
                       const std::string& name) {
  SR_TRY(inspect_owned(engine, name));
  if (verb == "stop") return engine.stop_container(name, a.timeout, a.signal);
  if (verb == "kill") return engine.kill_container(name, a.signal.empty() ? "SIGKILL" : a.signal);
  return engine.remove_container(name, a.force ? docker::Force::yes : docker::Force::no,
                                 a.volumes ? docker::RemoveVolumes::yes : docker::RemoveVolumes::no);
}

}  // namespace

int usage_status(const util::Error& e) {
  return e.message.find("requires at least") != std::string::npos ? 1 : util::kExitLauncher;
}

bool is_subcommand(std::string_view word) {
  return word == "exec" || word == "stop" || word == "kill" || word == "rm";
}

util::Result<nlohmann::json> inspect_owned(docker::ContainerEngine& engine, const std::string& name) {
  SR_ASSIGN(auto info, engine.inspect_container(name));
  const auto& labels = info["Config"]["Labels"];
  if (labels.is_object() && (labels.contains(std::string(kManagedLabel)) ||
                             labels.contains(std::string(kFingerprintLabel))))
    return info;
  return util::fail(util::ErrorKind::security,
                    "container " + name + " was not started by sandbox-run (it has no " +
                        std::string(kManagedLabel) + " label); use the docker CLI for it");
}

void print_cli_error(const util::Error& e) {
  // Engine API errors read "<METHOD> <path>: <status> <reason>: <message>".
  auto first = e.message.find(": ");
  auto second = first == std::string::npos ? first : e.message.find(": ", first + 2);
  const bool from_daemon = e.kind == util::ErrorKind::not_found || e.kind == util::ErrorKind::conflict ||
                           e.kind == util::ErrorKind::api || e.kind == util::ErrorKind::permission_denied;
  const bool daemon = from_daemon && second != std::string::npos &&
                      (e.message.starts_with("GET ") || e.message.starts_with("POST ") ||
                       e.message.starts_with("DELETE "));
  if (daemon)
    std::fprintf(stderr, "Error response from daemon: %s\n", e.message.substr(second + 2).c_str());
  else
    report_error(e);
}

std::string lifecycle_usage(std::string_view verb) {
  const std::string v(verb);
  std::string flags = verb == "stop"   ? "  -s, --signal string   Signal to send to the container\n"
                                         "  -t, --time int        Seconds to wait before killing the container\n"
                      : verb == "kill" ? "  -s, --signal string   Signal to send to the container (default SIGKILL)\n"
                                       : "  -f, --force           Force the removal of a running container (uses SIGKILL)\n"
                                         "  -v, --volumes         Remove anonymous volumes associated with the container\n";
  return "Usage:  sandbox-run " + v + " [OPTIONS] CONTAINER [CONTAINER...]\n\n" +
         "Like `docker " + v + "`, for sandboxes sandbox-run started\n\nOptions:\n" + flags;
}

int run_lifecycle(std::string_view verb, const std::vector<std::string>& args, docker::ContainerEngine& engine) {
  for (const auto& a : args) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") {
      std::fputs(lifecycle_usage(verb).c_str(), stdout);
      return 0;
    }
  }
  auto parsed = parse(verb, args);
  if (!parsed) {
    report_error("usage", parsed.error().message, "See 'sandbox-run " + std::string(verb) + " --help'.");
    return usage_status(parsed.error());
  }
  int status = 0;
  for (const auto& name : parsed->containers) {
    if (auto r = act(verb, *parsed, engine, name); !r) {
      print_cli_error(r.error());
      status = 1;
      continue;
    }
    std::printf("%s\n", name.c_str());
    std::fflush(stdout);
  }
  return status;
}

}  // namespace sr::runtime
