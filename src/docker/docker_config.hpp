// The Docker CLI's configuration directory and its config.json, read the way
// the CLI reads them: $DOCKER_CONFIG, else $HOME/.docker.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "docker/host.hpp"
#include "util/error.hpp"

namespace sr::docker {

// The configuration directory the environment names (getenv when lookup is empty).
std::string docker_config_dir(const EnvLookup& lookup = {});

// <dir>/config.json parsed; an empty object when the file does not exist.
// invalid_argument when it is not a JSON object.
util::Result<nlohmann::json> load_docker_config(const std::string& dir);

// config.json's "detachKeys": the Docker CLI's default for --detach-keys (run,
// start, attach, exec) when the flag is not given; empty when unset.
// invalid_argument when it is not a string.
util::Result<std::string> config_detach_keys(const EnvLookup& lookup = {});

// The lookup itself, or one reading the process environment when empty.
EnvLookup env_or_getenv(const EnvLookup& lookup);

}  // namespace sr::docker
