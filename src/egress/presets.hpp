// Presets: named sets of hosts, with an optional credential, that a user
// enables with one command (`sandbox-egress allow --preset NAME`) for an
// everyday workflow (pip, git, model downloads). The built-in ones are data
// in presets.cpp; users define more in config.yaml:
//
//   presets:
//     corp-npm:                         # a name: [a-z0-9][a-z0-9-]*
//       hosts: [npm.corp.example]       # exact or "*." wildcard, as secrets: hosts
//       credential: NPM_TOKEN           # optional: the env var holding the real value
//       carrier: bearer                 # with credential: as a declared secret
//   proxy:
//     presets: [pypi, corp-npm]         # the enabled ones
//
// An enabled preset's hosts join the allowlist; its credential becomes a
// Provider (egress/providers.hpp) like a declared secret, validated the same
// way (one credential per header and host).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "egress/providers.hpp"
#include "util/error.hpp"

namespace sr::egress {

struct Preset {
  std::string name;
  std::string summary;  // one line, for tables and --help
  std::vector<std::string> hosts;
  std::optional<Provider> credential;
  int config_line = 0;  // defined in config.yaml at this line (0 = built in)
};

// The built-in presets, in order.
std::span<const Preset> builtin_presets();

// Parses the `presets:` section (null = none). Refused, as
// "source:line:col: presets.NAME...: why": a name outside [a-z0-9-] or the
// name of a built-in preset, an unknown key, carrier keys without
// `credential`, and whatever a declared secret's entry is refused for.
util::Result<std::vector<Preset>> parse_presets(const YAML::Node& section, const std::string& source);

// The user's preset named `name`, else the built-in one, else nullptr.
const Preset* find_preset(const std::string& name, std::span<const Preset> user);

// Whether `name` can name a preset ([a-z0-9][a-z0-9-]*).
bool preset_name(const std::string& name);

}  // namespace sr::egress
