// `sandbox-run stop|kill|rm` and the ownership rule they share with exec:
// only containers sandbox-run created (kManagedLabel, or the egress
// fingerprint label of older sandboxes) are touched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace sr::docker {
class ContainerEngine;
}

namespace sr::runtime {

inline constexpr std::string_view kManagedLabel = "io.sandbox-run.managed";

// The container's inspect JSON when sandbox-run started it; not_found as the
// daemon says it; security when it carries none of sandbox-run's labels.
util::Result<nlohmann::json> inspect_owned(docker::ContainerEngine& engine, const std::string& name);

// Prints an error the way the Docker CLI prints a daemon's refusal
// ("Error response from daemon: <message>"), or as sandbox-run's own error.
void print_cli_error(const util::Error& e);

// verb: "stop", "kill" or "rm"; args: the words after it. Echoes each
// container as given on success, like the CLI; returns 0, or 1 when any
// container failed (125 for bad flags).
int run_lifecycle(std::string_view verb, const std::vector<std::string>& args, docker::ContainerEngine& engine);

// The Docker CLI's status for a command-line error of exec/stop/kill/rm:
// 1 for too few arguments, 125 for a bad flag.
int usage_status(const util::Error& e);

// `sandbox-run stop|kill|rm --help`.
std::string lifecycle_usage(std::string_view verb);

// Whether argv[1] names one of these subcommands (or exec).
bool is_subcommand(std::string_view word);

}  // namespace sr::runtime
