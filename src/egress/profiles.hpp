// Per-sandbox narrowing profiles and the host set one launch is narrowed to
// (`sandbox-run --egress-allow HOST`, `--egress-profile NAME`). Profiles are
// data in config.yaml:
//
//   profiles:
//     docs:                          # a name: [a-z0-9][a-z0-9-]*
//       allow: [pypi.org, files.pythonhosted.org]   # exact or "*." wildcard
//
// A narrowing is an intersection: every host it names must already be on the
// allowlist (a host, or a wildcard inside an allowlisted wildcard), so it can
// only take hosts away. Pure: no files, no Docker.
#pragma once

#include <span>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "util/error.hpp"

namespace sr::egress {

struct Profile {
  std::string name;
  std::vector<std::string> allow;  // normalised host patterns
  int config_line = 0;             // where config.yaml defines it
};

// Parses the `profiles:` section (null = none). Refused, as
// "source:line:col: profiles.NAME...: why": a name outside [a-z0-9-], a
// profile defined twice, an unknown key, an empty or invalid `allow` list.
util::Result<std::vector<Profile>> parse_profiles(const YAML::Node& section, const std::string& source);

// What one launch asked for.
struct NarrowRequest {
  std::vector<std::string> allow;     // --egress-allow, in order
  std::vector<std::string> profiles;  // --egress-profile, in order
  [[nodiscard]] bool empty() const { return allow.empty() && profiles.empty(); }
};

struct Narrowed {
  std::string label;               // "profile docs", "--egress-allow", "profile docs + --egress-allow"
  std::vector<std::string> hosts;  // the union of the profiles' and the flags' hosts, each once
};

// The launch's narrowed host set, checked against `allowlist` (proxy.yaml's).
// Errors (ErrorKind::invalid_argument) name the option and the host or
// profile: an invalid host, an unknown profile (and where profiles are
// defined: `config_path`), a host that is not on the allowlist.
util::Result<Narrowed> resolve_narrowing(const NarrowRequest& request, std::span<const Profile> profiles,
                                         std::span<const std::string> allowlist, const std::string& config_path);

// Whether host pattern `pattern` ("a.b" or "*.b", lowercase) only ever
// matches hosts that `allowlist` matches.
bool within_allowlist(const std::string& pattern, std::span<const std::string> allowlist);

}  // namespace sr::egress
