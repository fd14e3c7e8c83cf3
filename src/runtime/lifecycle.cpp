#include "runtime/lifecycle.hpp"

#include <cstdio>

#include "docker/engine.hpp"
#include "runtime/egress_plan.hpp"

namespace sr::runtime {

namespace {

util::Result<void> act(const LifecycleOptions& o, docker::ContainerEngine& engine, const std::string& name) {
  SR_TRY(inspect_owned(engine, name));
  switch (o.verb) {
    case LifecycleVerb::stop:
      return engine.stop_container(name, o.timeout, o.signal);
    case LifecycleVerb::kill:
      return engine.kill_container(name, o.signal.empty() ? "SIGKILL" : o.signal);
    case LifecycleVerb::rm:
      break;
  }
  return engine.remove_container(name, o.force, o.volumes);
}

}  // namespace

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

void print_cli_error(const util::Error& e, Diagnostics& diag) {
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
    diag.error(e);
}

int run_lifecycle(const LifecycleOptions& options, docker::ContainerEngine& engine, Diagnostics& diag) {
  int status = 0;
  for (const auto& name : options.containers) {
    if (auto r = act(options, engine, name); !r) {
      print_cli_error(r.error(), diag);
      status = 1;
      continue;
    }
    std::printf("%s\n", name.c_str());
    std::fflush(stdout);
  }
  return status;
}

}  // namespace sr::runtime
