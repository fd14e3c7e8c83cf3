// Launch-time egress: the checks that must pass before a sandbox is created
// (docs/troubleshooting.md) and the changes to its create request (docs/user-guide.md).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "proxyconf/proxy_config.hpp"
#include "runtime/egress_plan.hpp"
#include "runtime/launch_guard.hpp"
#include "runtime/run_spec.hpp"
#include "util/error.hpp"

namespace sr::runtime {

enum class EgressOutcome {
  disabled,   // proxy.enabled is false: plain launch
  applied,    // the sandbox is routed through the proxy
  bypassed,   // a check failed with enforce: false: plain launch, warned
};

struct EgressResult {
  EgressOutcome outcome = EgressOutcome::disabled;
  std::optional<EgressPlan> plan;
  std::vector<std::string> warnings;  // the caller reports each (Diagnostics::warning)
  std::vector<std::string> decisions; // what was decided, for --dry-run
  std::vector<std::string> refused;   // unsafe launch options (only --dry-run gets this far with any)
  pid_t daemon_pid = 0;               // for the while-attached liveness watch
  // proxy.yaml as the checks loaded it (applied only), for the steps of the
  // same launch that need it again (a narrowing's allowlist and reload).
  std::optional<proxyconf::ProxyConfig> proxy;
};

// The host-path mounts of a --volumes-from source container (runtime/
// launch_guard.hpp inherited_mounts, from the daemon); an error when the
// container cannot be inspected.
using InheritedMountLookup =
    std::function<util::Result<std::vector<InheritedMount>>(const std::string& container)>;

// Adds config docker_env, then (when egress is enabled) refuses the launch
// options that would undo the isolation (runtime/launch_guard.hpp), hardens
// the body and sets sandbox.runtime, checks setup, daemon, CA and mappings
// and rewrites spec.create_body. `image_env` is the image's
// own ENV list ("K=V"), used for collision checks. Any refused condition is
// an ErrorKind::security error whose message names the condition and the
// command that fixes it; nothing has been created at that point.
util::Result<EgressResult> prepare_egress(RunSpec& spec, const egress::Paths& paths,
                                          const egress::Config& config,
                                          const std::vector<std::string>& image_env,
                                          const InheritedMountLookup& volumes_from);

// For `sandbox-run exec` into a sandbox created with egress: the launch
// checks (setup present, daemon running and listening; the same refusals
// and fixes), then the fingerprint the current setup gives a sandbox whose
// environment is container_env. A different fingerprint than the sandbox's
// label means its tokens or CA are stale.
util::Result<std::string> current_egress_fingerprint(const egress::Paths& paths, const egress::Config& config,
                                                     const std::vector<std::string>& container_env);

// With egress enabled: the launch options that would undo the isolation
// (runtime/launch_guard.hpp) are an ErrorKind::security error naming each and
// the sandbox.allow_unsafe item that allows it; with spec.dry_run they are
// returned instead. Each --volumes-from container's mounts are looked up
// with `volumes_from` and judged like the sandbox's own binds; one that
// cannot be inspected is refused too. Then hardens the body and sets
// sandbox.runtime. Touches nothing but those lookups, so it can run before
// any pull.
util::Result<std::vector<std::string>> guard_launch(RunSpec& spec, const egress::Paths& paths,
                                                    const egress::Config& config,
                                                    const InheritedMountLookup& volumes_from);

// The create body as --dry-run prints it: token values redacted unless
// show_tokens.
nlohmann::json redacted_body(const nlohmann::json& body, const EgressResult& egress,
                             bool show_tokens);

// The host part of a proxy.yaml listen address ("172.18.0.1:9090" ->
// "172.18.0.1", "[::1]:9090" -> "::1"); "" when it does not parse.
std::string proxy_listen_host(const std::string& listen);

}  // namespace sr::runtime
