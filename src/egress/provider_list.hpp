// `sandbox-egress providers`: every credential the proxy can protect (built
// in and declared in config.yaml), how it is carried and whether a value is
// present. Never a value.
#pragma once

#include <nlohmann/json.hpp>

#include <span>
#include <string>

#include "egress/discovery.hpp"
#include "egress/providers.hpp"

namespace sr::egress {

// {"providers": [{"env", "token_env", "aliases", "hosts", "carriers": [{"kind",
// "name"?}], "match_body", "source": "builtin"|"config.yaml:LINE",
// "present": bool, "present_in": "environment"|"env_file"|"bitwarden"?}]}
nlohmann::json providers_json(std::span<const Provider> table, const PresenceLookup& present);

// One block per provider, for a terminal.
std::string providers_text(std::span<const Provider> table, const PresenceLookup& present);

}  // namespace sr::egress
