// `sandbox-egress status`: what is configured and running, as a model that is
// printed for humans or as JSON (schema: docs/status-json.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/daemon_state.hpp"
#include "egress/config.hpp"
#include "egress/discovery.hpp"
#include "egress/mappings.hpp"
#include "egress/paths.hpp"

namespace sr::daemon {

enum class TokenDisplay { redacted, shown };

struct CaStatus {
  bool present = false;
  std::string not_after;  // ISO 8601 UTC
  bool expired = false;
  std::string sha256;
  std::string error;
};

struct MappingStatus {
  egress::Mapping mapping;
  bool credential_present = false;  // in this shell's environment (a hint)
};

struct StatusReport {
  egress::Paths paths;
  egress::Config config;
  std::string engine_binary;
  bool engine_binary_present = false;
  bool proxy_yaml_present = false;
  std::string tunnel_listen;  // from proxy.yaml
  CaStatus ca;
  DaemonState daemon;
  std::vector<MappingStatus> mappings;
  std::string mappings_error;
  std::vector<std::string> uncovered;
  std::vector<std::string> problems;
};

// Never fails for broken state: problems are reported inside. Fails only
// when config.yaml cannot be read (that is the user's file to fix).
util::Result<StatusReport> collect_status(const egress::Paths& paths, const egress::PresenceLookup& presence);

std::string format_status_text(const StatusReport& r, TokenDisplay tokens);
nlohmann::json format_status_json(const StatusReport& r, TokenDisplay tokens);

}  // namespace sr::daemon
