// Runs a container the way `docker run` does: pull per policy, create, attach
// and wait set up before start, stream, remove with --rm on every path.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "runtime/diagnostics.hpp"
#include "runtime/run_spec.hpp"
#include "util/error.hpp"

namespace sr::docker {
class ContainerEngine;
}

namespace sr::runtime {

// Returns the status sandbox-run must exit with: the container's exit status,
// or 125 (launcher/daemon failure), 126 (command cannot be invoked),
// 127 (command not found). Errors are reported through `diag` before
// returning.
//
// Signals: from create on, SIGINT/TERM/HUP/QUIT/USR1/USR2/ALRM are forwarded
// to the container through the kill API (sig_proxy without tty; the third
// SIGINT/SIGTERM gives up as below, like the Docker CLI); otherwise
// a terminating signal cleans up (--rm) and then ends the process by that
// same signal, as the Docker CLI dies of it. SIGWINCH resizes a tty.
int launch(const RunSpec& spec, docker::ContainerEngine& engine, Diagnostics& diag);

// Points where a caller (the egress layer) joins the launch.
struct LaunchHooks {
  // Runs once the image is present locally (pulled per policy), before
  // create, with the image's inspect JSON (GET /images/{name}/json); it may
  // edit the spec (env, network, mounts). An error ends the launch with 125.
  std::function<util::Result<void>(RunSpec& spec, const nlohmann::json& image)> before_create;
  // Runs once the container has started (attached or detached).
  std::function<void()> after_start;
};

// launch() with hooks; without before_create it adds no daemon round trip.
int launch(const RunSpec& spec, docker::ContainerEngine& engine, const LaunchHooks& hooks, Diagnostics& diag);

}  // namespace sr::runtime
