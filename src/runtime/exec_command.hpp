// `sandbox-run exec`: docker exec's flags, output and exit codes through the
// exec API (docker/exec.cpp), with the attach I/O of `sandbox-run` itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/env_file.hpp"
#include "util/error.hpp"

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
  bool help = false;
  std::vector<std::string> env;  // -e then --env-file, resolved like docker run
  std::string workdir;
  std::string user;
  std::string detach_keys;
};

// Parses the words after `exec`. Options end at CONTAINER; the CLI's
// "requires at least 2 arguments" is an invalid_argument error.
util::Result<ExecSpec> parse_exec_args(const std::vector<std::string>& args, const EnvLookup& lookup);

// The POST /containers/{id}/exec body for spec.
nlohmann::json exec_create_body(const ExecSpec& spec);

// Runs the exec and returns the exit status as `docker exec` does: the
// command's exit code, 126 when it cannot be started, 1 for a daemon error
// (no such container, not running), 125 for sandbox-run's own failures.
int run_exec(const ExecSpec& spec, docker::Client& client);

std::string exec_usage_text();

}  // namespace sr::runtime
