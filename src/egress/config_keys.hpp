// The settings `sandbox-egress config get|set` read and write, by their
// dotted name in config.yaml ("proxy.enabled", "sandbox.require_egress",
// "docker_env.NAME").
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "egress/config.hpp"
#include "util/error.hpp"

namespace sr::egress {

// "proxy.enabled" -> {"proxy", "enabled"}. Refused (invalid_argument) unless
// it names a setting of proxy: or sandbox:, or a docker_env entry.
util::Result<std::vector<std::string>> setting_path(const std::string& key);

// The value `config` has for the setting at `path` (setting_path): what the
// file says, else the default. docker_env.NAME not set is not_found.
util::Result<YAML::Node> effective_setting(const Config& config, const std::vector<std::string>& path);

// A value typed on the command line: YAML ("true", "9090", "[a, b]"), else
// the text as a string.
YAML::Node parse_cli_value(const std::string& text);

}  // namespace sr::egress
