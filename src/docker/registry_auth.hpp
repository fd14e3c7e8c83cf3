// Registry credentials for image pulls, found the way the Docker CLI finds
// them in config.json: credHelpers[<registry host>], else credsStore, else
// the auths entry (its base64 "auth" user:password, or "identitytoken").
// The daemon receives them as the X-Registry-Auth header: base64url JSON of
// {username, password, serveraddress} or {identitytoken, serveraddress}.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "docker/host.hpp"
#include "docker/image_ref.hpp"
#include "util/error.hpp"

namespace sr::docker {

inline constexpr std::string_view kDockerHubAuthKey = "https://index.docker.io/v1/";

struct AuthConfig {
  std::string username;
  std::string password;
  std::string identitytoken;
  std::string serveraddress;
};

// The config.json key of ref's registry: kDockerHubAuthKey for Docker Hub
// (no domain, docker.io, index.docker.io), else the domain (host[:port]).
std::string registry_key(const ImageRef& ref);

// "https://h:5000/v2/" -> "h:5000": the CLI's ConvertToHostname.
std::string auth_key_hostname(std::string_view key);

// Runs `docker-credential-<helper> get` with `server` on stdin and returns its
// stdout (JSON {ServerURL, Username, Secret}); nullopt when the helper
// reports that it holds no credentials for server.
using CredentialHelper =
    std::function<util::Result<std::optional<std::string>>(std::string_view helper, std::string_view server)>;

// The real helper: a child process found on PATH; its stderr is discarded
// (it may echo what it was given).
util::Result<std::optional<std::string>> run_credential_helper(std::string_view helper, std::string_view server);

// The credentials config.json holds for key; nullopt when none.
util::Result<std::optional<AuthConfig>> lookup_auth(const nlohmann::json& config, std::string_view key,
                                                    const CredentialHelper& helper);

// The X-Registry-Auth header value for auth.
std::string encode_registry_auth(const AuthConfig& auth);

// The X-Registry-Auth value for pulling ref with the environment's config
// (docker/docker_config.hpp); empty when there are no credentials.
util::Result<std::string> registry_auth_for(const ImageRef& ref, const EnvLookup& lookup = {},
                                            const CredentialHelper& helper = {});

}  // namespace sr::docker
