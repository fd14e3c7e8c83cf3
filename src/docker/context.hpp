// Docker contexts, selected the way the Docker CLI selects them when
// DOCKER_HOST is unset: DOCKER_CONTEXT, else config.json's currentContext
// ("default" is the plain environment). A context's endpoint is
// Endpoints.docker.{Host,SkipTLSVerify} in
// <config dir>/contexts/meta/<sha256(name)>/meta.json, its TLS material
// <config dir>/contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem.
#pragma once

#include <optional>
#include <string>

#include "docker/host.hpp"
#include "util/error.hpp"

namespace sr::docker {

// The selected context's name; nullopt for the default context.
util::Result<std::optional<std::string>> selected_context(const EnvLookup& lookup);

// The endpoint of context `name` under config_dir. not_found when the
// context does not exist; invalid_argument for a malformed meta.json or an
// unsupported host (ssh://).
util::Result<Endpoint> context_endpoint(const std::string& config_dir, const std::string& name);

}  // namespace sr::docker
