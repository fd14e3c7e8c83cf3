// sandbox-run's whole job after parsing: config, egress, then launch.
#pragma once

#include "runtime/diagnostics.hpp"
#include "runtime/run_spec.hpp"

namespace sr::docker {
class Client;
}

namespace sr::runtime {

// Loads config.yaml, applies docker_env and (when enabled) egress to `spec`,
// and launches it; --dry-run prints the request instead. Returns the exit
// status (see launch()). An egress refusal exits 125 before anything is
// created. Failures, warnings and notes are reported through `diag`.
int run_sandbox(RunSpec spec, docker::Client& client, Diagnostics& diag);

}  // namespace sr::runtime
