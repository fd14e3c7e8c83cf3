// `sandbox-egress setup` as a library call: discover credentials, ensure the
// CA, reconcile tokens, choose the bind address, render proxy.yaml and enable
// egress in config.yaml. Everything the outside world provides (environment,
// Docker network, interfaces, confirmation prompt) comes through SetupEnv so
// golden tests can feed fakes.
#pragma once

#include <filesystem>
#include <functional>
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
  std::optional<std::uint16_t> tunnel_port;  // validated 1..65533 by the caller
  std::optional<std::filesystem::path> env_file;
  std::optional<Engine> engine;
  std::optional<Isolation> isolation;
  TokenPolicy tokens = TokenPolicy::keep_existing;
  RestartPolicy restart = RestartPolicy::tell;
};

struct SetupEnv {
  PresenceLookup presence;              // which credentials are set
  SandboxNetwork* network = nullptr;    // null: Docker not available to this caller
  // Installs the host firewall for isolation: internal (egress/firewall.hpp);
  // null skips it (unit tests, callers without root).
  CommandRunner* firewall = nullptr;
  std::function<util::Result<std::vector<InterfaceAddress>>()> interfaces;
  // Asked before --rotate-tokens replaces existing tokens; false aborts.
  std::function<bool()> confirm_rotation;
  std::function<void(const std::string&)> info;
  std::function<void(const std::string&)> warn;
};

// ErrorKind::not_found when no provider credential is present (the message
// lists the names looked for); invalid_argument for bad config or input.
util::Result<void> run_setup(const Paths& paths, const SetupOptions& options, SetupEnv& env);

// "YYYYMMDDTHHMMSS" (UTC) for backup names.
std::string backup_timestamp();

// `base` + ".rotated-<timestamp>" (with -N appended when taken).
std::filesystem::path backup_path(const std::filesystem::path& base);

}  // namespace sr::egress
