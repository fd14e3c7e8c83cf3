// --env-file and -e values, with the Docker CLI's rules (docker/cli opts
// envfile.go / parse.go).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sr::cli {

// Looks a variable up in the environment sandbox-run was started with; a seam
// so that tests do not depend on the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment (getenv).
EnvLookup process_env_lookup();

// Parses env-file content: leading whitespace trimmed, blank lines and lines
// starting with '#' skipped, "KEY=VALUE" kept verbatim (value untrimmed),
// "KEY" alone takes the value from the environment or is dropped when unset.
// A name with whitespace or an empty name is an error naming the line.
util::Result<std::vector<std::string>> parse_env_file(std::string_view content,
                                                      const EnvLookup& lookup);

// Reads and parses one --env-file; errors name the file and the errno.
util::Result<std::vector<std::string>> read_env_file(const std::string& path,
                                                     const EnvLookup& lookup);

// One -e/--env value: "KEY=VALUE" as is; "KEY" takes the value from the
// environment, or stays "KEY" when unset, which the daemon then drops (the
// Docker CLI sends it that way). An empty name is an error.
util::Result<std::string> resolve_env_flag(std::string_view value, const EnvLookup& lookup);

}  // namespace sr::cli
