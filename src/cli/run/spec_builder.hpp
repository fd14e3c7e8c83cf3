// The state the option table's apply functions write into, and its assembly
// into a RunSpec. Fields that map one-to-one go straight into the create body
// (config / host_config); fields that combine several options or whose order
// matters are kept apart and assembled by finish().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/run/env_file.hpp"
#include "cli/run/values.hpp"
#include "runtime/run_spec.hpp"
#include "util/error.hpp"

namespace sr::cli {

enum class Action { run, help, version };

// The --health-* options, judged together once all are read.
struct HealthFlags {
  std::string cmd;
  std::int64_t interval = 0, timeout = 0, start_period = 0, start_interval = 0, retries = 0;
  bool none = false;  // --no-healthcheck
};

// --ip, --ip6, --network-alias, --link-local-ip, --mac-address and --link:
// the endpoint on the container's network.
struct EndpointFlags {
  std::string ipv4, ipv6, mac;
  std::vector<std::string> aliases, link_local_ips, links;
};

class SpecBuilder {
 public:
  SpecBuilder(EnvLookup lookup, std::string cwd)
      : lookup_(std::move(lookup)), cwd_(std::move(cwd)) {}

  const EnvLookup& lookup() const { return lookup_; }
  const std::string& cwd() const { return cwd_; }

  // Assembles the create body from what the options set and the positional
  // arguments (IMAGE [COMMAND] [ARG...]). Checks the cross-option rules
  // (-a with -d, an image is required).
  util::Result<runtime::RunSpec> finish(const std::vector<std::string>& positional) const;

  Action action = Action::run;
  runtime::RunSpec spec;                             // client-side behaviour
  nlohmann::json config = nlohmann::json::object();  // Config fields set directly
  nlohmann::json host = nlohmann::json::object();    // HostConfig fields set directly
  std::vector<std::string> env_from_files;           // --env-file, sent first
  std::vector<std::string> env_from_flags;           // -e, after the files
  std::map<std::string, std::string> labels;
  std::vector<std::string> attach;                   // -a, lower case
  std::optional<std::string> entrypoint;
  std::vector<std::string> cap_add, cap_drop;
  std::map<std::string, Ulimit> ulimits;             // last one per name wins
  std::vector<std::string> security_opts;
  std::map<std::string, std::string> env_origins;    // key -> "-e" / "--env-file F"
  std::map<std::string, std::string> file_labels;    // --label-file, under -l
  HealthFlags health;
  EndpointFlags endpoint;
  std::optional<std::string> restart;                // --restart as given
  std::optional<std::string> log_driver;
  std::vector<std::string> log_opts, storage_opts, expose;
  std::optional<std::string> cgroupns;
  std::optional<std::int64_t> swappiness;

 private:
  EnvLookup lookup_;
  std::string cwd_;
};

}  // namespace sr::cli
