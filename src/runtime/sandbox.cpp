#include "runtime/sandbox.hpp"

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <thread>

#include "daemon/daemon_state.hpp"
#include "docker/client.hpp"
#include "runtime/egress_launch.hpp"
#include "runtime/egress_narrowing.hpp"
#include "runtime/launch_guard.hpp"
#include "runtime/launcher.hpp"
#include "util/exit_status.hpp"

namespace sr::runtime {
namespace {

constexpr auto kDaemonCheckInterval = std::chrono::seconds(2);

int refuse(const util::Error& e, Diagnostics& diag) {
  diag.error(e);
  return util::kExitLauncher;
}

// SANDBOX_RUN_HINTS=false (or the Docker CLI's own DOCKER_CLI_HINTS=false,
// for people who alias docker to sandbox-run) silences the note below.
bool hints_wanted() {
  for (const char* name : {"SANDBOX_RUN_HINTS", "DOCKER_CLI_HINTS"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && (std::string_view(v) == "false" || std::string_view(v) == "0")) return false;
  }
  return true;
}

// Drop-in: without egress the run is plain `docker run` and scripts see only
// docker's output; a person at a terminal is told once what that means.
util::Result<void> check_unprotected(const egress::Paths& paths, const egress::Config& config, Diagnostics& diag) {
  if (config.sandbox.require_egress)
    return util::fail(util::ErrorKind::security,
                      "egress is not set up and sandbox.require_egress is true: the sandbox would have "
                      "unrestricted network access; fix: run `sandbox-egress setup` (SANDBOX_RUN_HOME=" +
                          paths.home.string() + ")");
  if (::isatty(STDERR_FILENO) && hints_wanted())
    diag.note("egress is not set up: this sandbox has unrestricted network access. Run `sandbox-egress "
              "setup` to route it through the credential proxy (see `sandbox-run --help`).");
  return {};
}

std::vector<std::string> image_env(const nlohmann::json& image) {
  std::vector<std::string> env;
  if (image.contains("Config") && image["Config"].is_object() && image["Config"].contains("Env") &&
      image["Config"]["Env"].is_array())
    for (const auto& e : image["Config"]["Env"]) env.push_back(e.get<std::string>());
  return env;
}

std::string_view outcome_name(EgressOutcome o) {
  switch (o) {
    case EgressOutcome::disabled: return "disabled";
    case EgressOutcome::applied: return "applied";
    case EgressOutcome::bypassed: return "bypassed";
  }
  return "disabled";
}

// An egress sandbox's runtime (--runtime or sandbox.runtime) must be one the
// daemon knows: refused here, before anything is created, with the fix.
util::Result<void> check_runtime(const RunSpec& spec, docker::Client& client) {
  const auto& hc = spec.create_body["HostConfig"];
  if (!hc.contains("Runtime") || !hc["Runtime"].is_string()) return {};
  const std::string runtime = hc["Runtime"].get<std::string>();
  SR_ASSIGN(auto info, client.info());
  if (auto why = unknown_runtime(runtime, info))
    return util::fail(util::ErrorKind::security, "refusing to start the sandbox: " + *why);
  return {};
}

// --volumes-from with egress on: what the daemon would copy from the source
// container, read from the daemon before anything is created.
InheritedMountLookup mount_lookup(docker::Client& client) {
  return [&client](const std::string& name) -> util::Result<std::vector<InheritedMount>> {
    SR_ASSIGN(auto container, client.inspect_container(name));
    return inherited_mounts(container, [&client](const std::string& volume) -> util::Result<nlohmann::json> {
      SR_ASSIGN(auto v, client.inspect_volume(volume));
      return v.value("Options", nlohmann::json::object());
    });
  };
}

// --dry-run: what would be sent, and why; nothing is created or pulled.
int dry_run(RunSpec& spec, docker::Client& client, const egress::Paths& paths, const egress::Config& config,
            Diagnostics& diag) {
  std::vector<std::string> env;
  std::vector<std::string> notes;
  if (auto image = client.inspect_image(spec.image))
    env = image_env(*image);
  else
    notes.push_back("image " + spec.image + " is not present locally: its ENV was not checked");
  auto egress = prepare_egress(spec, paths, config, env, mount_lookup(client));
  if (!egress) return refuse(egress.error(), diag);
  for (const auto& w : egress->warnings) diag.warning(w);
  std::vector<std::string> refused = egress->refused;
  if (egress->outcome != EgressOutcome::disabled)
    if (auto rt = check_runtime(spec, client); !rt) refused.push_back(rt.error().message);
  nlohmann::json query = nlohmann::json::object();
  if (!spec.name.empty()) query["name"] = spec.name;
  if (!spec.platform.empty()) query["platform"] = spec.platform;
  notes.insert(notes.end(), egress->decisions.begin(), egress->decisions.end());
  nlohmann::json out = {
      {"request", {{"method", "POST"}, {"path", "/containers/create"}, {"query", query},
                   {"body", redacted_body(spec.create_body, *egress, spec.show_tokens)}}},
      {"egress", {{"outcome", outcome_name(egress->outcome)}, {"decisions", notes},
                  {"warnings", egress->warnings}, {"refused", refused}}}};
  if (spec.show_tokens)
    diag.warning("--show-tokens printed proxy tokens; they may end up in logs or shell history");
  std::cout << out.dump(2) << std::endl;
  if (refused.empty()) return 0;
  for (const auto& r : refused) diag.error("egress_refused", "would refuse: " + r);
  return util::kExitLauncher;
}

// While attached: one warning if the daemon dies; the container is left alone.
std::jthread watch_daemon(const egress::Paths& paths, const egress::Config& config, Diagnostics& diag) {
  return std::jthread([paths, config, &diag](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait_for(lock, stop, kDaemonCheckInterval, [] { return false; });
      if (stop.stop_requested()) return;
      if (sr::daemon::inspect_daemon(paths, config).ours) continue;
      diag.warning("the egress daemon stopped: this sandbox's proxied requests will fail until "
           "`sandbox-egress start`");
      return;
    }
  });
}

}  // namespace

int run_sandbox(RunSpec spec, docker::Client& client, Diagnostics& diag) {
  const auto paths = egress::Paths::from_environment();
  auto config = egress::load_config(paths.config());
  if (!config) return refuse(config.error().context("reading the sandbox-run config"), diag);
  for (const auto& w : config->warnings) diag.warning(w);
  if (spec.dry_run) return dry_run(spec, client, paths, *config, diag);
  const bool narrowed = !spec.egress_allow.empty() || !spec.egress_profiles.empty();
  if (narrowed && !config->proxy.enabled)
    return refuse(util::Error{util::ErrorKind::security,
                              "--egress-allow/--egress-profile: egress is not enabled (proxy.enabled: false); a "
                              "narrowing needs the proxy; fix: run `sandbox-egress setup`",
                              0},
                  diag);
  if (!config->proxy.enabled)
    if (auto ok = check_unprotected(paths, *config, diag); !ok) return refuse(ok.error(), diag);
  if (!config->proxy.enabled && config->docker_env.empty()) return launch(spec, client, diag);

  if (config->proxy.enabled) {
    // Before launch(): a refused option must not even pull the image.
    if (auto guarded = guard_launch(spec, paths, *config, mount_lookup(client)); !guarded)
      return refuse(guarded.error(), diag);
    if (auto rt = check_runtime(spec, client); !rt) return refuse(rt.error(), diag);
  }
  EgressResult egress;
  std::optional<RegisteredNarrowing> narrowing;
  LaunchHooks hooks;
  hooks.before_create = [&](RunSpec& s, const nlohmann::json& image) -> util::Result<void> {
    SR_ASSIGN(egress, prepare_egress(s, paths, *config, image_env(image), mount_lookup(client)));
    for (const auto& w : egress.warnings) diag.warning(w);
    // A sandbox that asked for a narrowing never starts without it.
    if (narrowed && egress.outcome != EgressOutcome::applied)
      return util::fail(util::ErrorKind::security,
                        "--egress-allow/--egress-profile: the sandbox would start without the egress proxy");
    // Applied, so the egress checks have loaded proxy.yaml: handed down, not read again.
    if (narrowed) {
      SR_ASSIGN(narrowing, register_narrowing(s, paths, *config, *egress.proxy, client));
    }
    return {};
  };
  std::jthread watcher;
  hooks.after_start = [&] {
    if (egress.outcome == EgressOutcome::applied && !spec.detach) watcher = watch_daemon(paths, *config, diag);
  };
  int status = launch(spec, client, hooks, diag);
  if (narrowing)
    if (auto problem = release_narrowing(*narrowing, paths, *config, client)) diag.warning(*problem);
  return status;
}

}  // namespace sr::runtime
