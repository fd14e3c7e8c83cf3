// `sandbox-egress setup` as a library call: discover credentials, ensure the
// CA, reconcile tokens, choose the bind address, render proxy.yaml and enable
// egress in config.yaml. Everything the outside world provides (environment,
// Docker network, interfaces, confirmation prompt) comes through SetupEnv so
// golden tests can feed fakes.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "egress/bind_address.hpp"
#include "egress/config.hpp"
#include "egress/discovery.hpp"
#include "egress/firewall.hpp"
#include "egress/network_seam.hpp"
#include "egress/paths.hpp"
#include "egress/tokens.hpp"
#include "util/error.hpp"

namespace sr::egress {

enum class RestartPolicy { tell, restart, no_restart };

struct SetupOptions {
  std::optional<std::uint16_t> tunnel_port;  // validated 1..65531 by the caller
  // --env-file: read for discovery and recorded (absolute) as proxy.env_file,
  // which start reads credentials from. Without it a recorded file is used
  // again; --no-env-file (forget_env_file) removes the record.
  std::optional<std::filesystem::path> env_file;
  bool forget_env_file = false;
  // --from-bitwarden / --no-bitwarden; unset keeps proxy.credential_source.
  std::optional<CredentialSource> credential_source;
  std::optional<std::string> bitwarden_project;  // --bitwarden-project
  std::optional<Engine> engine;
  std::optional<Isolation> isolation;
  TokenPolicy tokens = TokenPolicy::keep_existing;
  RestartPolicy restart = RestartPolicy::tell;
};

// The names of the non-empty secrets in the configured Bitwarden project
// (bitwarden_secret_names() in production, a fake in tests). `env_file` holds
// the values of the env file in use (it may carry the access token).
using BitwardenNames = std::function<util::Result<std::vector<std::string>>(
    const ProxySettings& settings, const std::map<std::string, std::string>& env_file)>;

struct SetupEnv {
  PresenceLookup presence;              // which credentials are exported (the env file is read by run_setup)
  BitwardenNames bitwarden_names;       // null: Bitwarden unavailable to this caller
  SandboxNetwork* network = nullptr;    // null: Docker not available to this caller
  // Installs the host firewall for isolation: internal (egress/firewall.hpp);
  // null skips it (unit tests, callers without root).
  IptablesRunner* firewall = nullptr;
  std::function<util::Result<std::vector<InterfaceAddress>>()> interfaces;
  // Asked before --rotate-tokens replaces existing tokens; false aborts.
  std::function<bool()> confirm_rotation;
  std::function<void(const std::string&)> info;
  std::function<void(const std::string&)> warn;
};

// ErrorKind::not_found when no provider credential is present (the message
// lists the names looked for); invalid_argument for bad config or input.
// With credential_source: bitwarden, the providers are those whose names the
// project holds; a missing token or project (or a failing bws) refuses before
// anything is written, unless allow_env_fallback (then a warning and the
// environment). An env file that is a symlink refuses; one that is not the
// user's or open to group/others is recorded with a warning (start refuses it).
util::Result<void> run_setup(const Paths& paths, const SetupOptions& options, SetupEnv& env);

// "YYYYMMDDTHHMMSS" (UTC) for backup names.
std::string backup_timestamp();

// `base` + ".rotated-<timestamp>" (with -N appended when taken).
std::filesystem::path backup_path(const std::filesystem::path& base);

}  // namespace sr::egress
