// The stop/kill/rm operations behind `sandbox-run stop|kill|rm` and the
// ownership rule they share with exec: only containers sandbox-run created
// (kManagedLabel, or the egress fingerprint label of older sandboxes) are
// touched. Their command line is cli/run_subcommands.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "docker/engine.hpp"
#include "runtime/diagnostics.hpp"
#include "util/error.hpp"

namespace sr::runtime {

inline constexpr std::string_view kManagedLabel = "io.sandbox-run.managed";

// The container's inspect JSON when sandbox-run started it; not_found as the
// daemon says it; security when it carries none of sandbox-run's labels.
util::Result<nlohmann::json> inspect_owned(docker::ContainerEngine& engine, const std::string& name);

// Prints an error the way the Docker CLI prints a daemon's refusal
// ("Error response from daemon: <message>"), or reports it through `diag`
// as sandbox-run's own error.
void print_cli_error(const util::Error& e, Diagnostics& diag);

enum class LifecycleVerb { stop, kill, rm };

// What `docker stop|kill|rm` take: signal for stop and kill (kill's default
// SIGKILL when empty, stop's the container's StopSignal), timeout for stop
// (-1: the container's own), force and volumes for rm.
struct LifecycleOptions {
  LifecycleVerb verb = LifecycleVerb::stop;
  std::vector<std::string> containers;
  std::string signal;
  int timeout = -1;
  docker::Force force = docker::Force::no;
  docker::RemoveVolumes volumes = docker::RemoveVolumes::no;
};

// Applies the verb to each container in turn, echoing each one as given on
// success, like the CLI; returns 0, or 1 when any container failed.
int run_lifecycle(const LifecycleOptions& options, docker::ContainerEngine& engine, Diagnostics& diag);

}  // namespace sr::runtime
