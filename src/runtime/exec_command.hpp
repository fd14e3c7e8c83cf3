// The exec operation behind `sandbox-run exec`: docker exec's output and exit
// codes through the exec API (docker/exec.cpp), with the attach I/O of
// `sandbox-run` itself. Its command line is cli/run_subcommands.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/diagnostics.hpp"

namespace sr::docker {
class Client;
}

namespace sr::runtime {

struct ExecSpec {
  std::string container;
  std::vector<std::string> cmd;
  bool interactive = false;
  bool tty = false;
  bool detach = false;
  bool privileged = false;
  std::vector<std::string> env;  // --env-file lines, then -e values, resolved like docker run
  std::string workdir;
  std::string user;
  std::string detach_keys;
};

// The POST /containers/{id}/exec body for spec.
nlohmann::json exec_create_body(const ExecSpec& spec);

// Runs the exec and returns the exit status as `docker exec` does: the
// command's exit code, 126 when it cannot be started, 1 for a daemon error
// (no such container, not running), 125 for sandbox-run's own failures
// (reported through `diag`).
int run_exec(const ExecSpec& spec, docker::Client& client, Diagnostics& diag);

}  // namespace sr::runtime
