// Where the Docker daemon is, read from the environment the way the Docker
// CLI reads it: DOCKER_HOST (unix://path, tcp://host[:port]; default
// unix:///var/run/docker.sock), DOCKER_TLS_VERIFY / DOCKER_TLS and
// DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem; default ~/.docker), and
// DOCKER_API_VERSION (skips negotiation).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::docker {

enum class TlsMode { off, encrypt_only, verify };

struct TlsFiles {
  std::string ca;    // empty when absent
  std::string cert;
  std::string key;
};

struct Endpoint {
  std::string host_spec;    // as configured, for messages: "unix:///var/run/docker.sock"
  std::string unix_socket;  // set for unix://
  std::string base_url;     // "http://localhost", "http://h:2375", "https://h:2376"
  TlsMode tls = TlsMode::off;
  TlsFiles tls_files;
  std::string api_version;  // from DOCKER_API_VERSION, empty to negotiate
};

inline constexpr std::string_view kDefaultDockerHost = "unix:///var/run/docker.sock";

// Looks up an environment variable; empty optional when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// Parses a DOCKER_HOST value. invalid_argument for unsupported schemes
// (ssh://, npipe://, fd://) and malformed addresses.
util::Result<Endpoint> parse_docker_host(std::string_view host, TlsMode tls);

// The endpoint configured by the environment (getenv when lookup is empty).
util::Result<Endpoint> endpoint_from_env(const EnvLookup& lookup = {});

}  // namespace sr::docker
