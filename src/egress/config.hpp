// config.yaml: the user's settings (proxy: section and docker_env:).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "egress/presets.hpp"
#include "egress/profiles.hpp"
#include "egress/providers.hpp"
#include "util/error.hpp"

namespace sr::egress {

enum class Engine { builtin, iron_proxy };
enum class CredentialSource { env, bitwarden };
enum class Isolation { internal, bridge };

struct ProxySettings {
  bool enabled = false;
  Engine engine = Engine::builtin;
  std::uint16_t tunnel_port = 9090;  // 1..65531: +1 plain HTTP, +2 management, +3 transparent HTTPS, +4 DNS
  bool auto_install = true;
  CredentialSource credential_source = CredentialSource::env;
  bool enforce = true;
  bool allow_env_fallback = false;
  std::optional<std::vector<std::string>> upstream_deny_cidrs;  // nullopt -> defaults
  std::vector<std::string> extra_allowed_hosts;
  std::vector<std::string> presets;  // enabled presets by name (egress/presets.hpp)
  Isolation isolation = Isolation::internal;
  // Installer (iron-proxy engine): release base URL override, for mirrors.
  std::string release_base_url;
  // Bitwarden (credential_source: bitwarden).
  std::string bitwarden_project;
  std::string bitwarden_token_env = "BWS_ACCESS_TOKEN";
  // A dotenv file recorded by `setup --env-file` (absolute path; "" = none):
  // `start` reads mapped credentials from it when they are not exported.
  std::string env_file;
  // Built-in engine only, passed as `serve` flags (not proxy.yaml keys:
  // iron-proxy v0.39 refuses unknown keys there). Unset: the engine's
  // defaults. Durations are written as Go durations ("120s", "10m") and
  // parsed once, here.
  std::optional<std::uint32_t> max_client_connections;  // per client address
  std::optional<std::uint32_t> max_connections;         // in total
  std::optional<std::chrono::nanoseconds> client_idle_timeout;
  std::optional<std::chrono::nanoseconds> websocket_idle_timeout;
};

// The sandbox: section: what an egress sandbox may be launched with.
struct SandboxSettings {
  // Launch options that undo the isolation, allowed by name
  // (unsafe_item_names()); the rest are refused with egress on.
  std::vector<std::string> allow_unsafe;
  std::string runtime;  // HostConfig.Runtime for egress sandboxes ("" = the daemon's default)
  // The egress network's inter-container traffic (ICC) stays on: sandboxes
  // on it reach each other's ports.
  bool allow_sandbox_to_sandbox = false;
  // Without egress set up, sandbox-run refuses (exit 125) instead of running
  // the sandbox with unrestricted network.
  bool require_egress = false;
};

// The names sandbox.allow_unsafe accepts, in the order refusals are checked.
std::span<const std::string_view> unsafe_item_names();

// The `serve` flags that carry the built-in engine's own settings above
// ("--max-client-connections", "256", ...), only those that are set.
std::vector<std::string> serve_flags(const ProxySettings& proxy);

struct Config {
  ProxySettings proxy;
  SandboxSettings sandbox;
  // Declared credentials (egress/declared_secrets.hpp), then the credentials
  // of the enabled presets (Provider::preset names the preset).
  std::vector<Provider> secrets;
  std::vector<Preset> presets;            // user-defined presets (presets:)
  std::vector<std::string> preset_hosts;  // the enabled presets' hosts, in order
  std::vector<Profile> profiles;          // per-sandbox narrowings (profiles:)
  std::map<std::string, std::string> docker_env;  // added to every sandbox
  std::vector<std::string> warnings;  // unknown keys etc., reported by callers
};

// Missing file -> defaults. Malformed -> "path:line:col: message".
// Unknown keys become `warnings` ("path:line:col: unknown key 'proxy.x' (ignored)").
// extra_allowed_hosts are validated and lowercased, deny entries must be CIDRs.
// A symlink at `path` is refused (ErrorKind::security).
util::Result<Config> load_config(const std::filesystem::path& path);
// load_config's parsing of the file's text; errors and warnings name
// `source_name` where load_config names the path ("" parses to defaults).
util::Result<Config> parse_config(const std::string& text, const std::string& source_name);

// The proxy: keys a command may rewrite.
enum class ProxyKey {
  enabled, engine, tunnel_port, isolation, credential_source, bitwarden_project,
  env_file  // an empty env_file removes the key
};

// Rewrites only `keys` under proxy: in the file at `path` with
// edit_config_file (egress/config_edit.hpp): every other line, comments
// included, is kept; a malformed file, or one using a YAML feature the edit
// cannot keep, is an error naming the line and is left untouched. Written
// atomically, 0600, no symlink following.
util::Result<void> save_proxy_keys(const std::filesystem::path& path, const ProxySettings& proxy,
                                   std::span<const ProxyKey> keys);

std::string_view to_string(Engine e);             // "builtin" | "iron-proxy"
std::string_view to_string(CredentialSource c);   // "env" | "bitwarden"
std::string_view to_string(Isolation i);          // "internal" | "bridge"
std::optional<Engine> parse_engine(std::string_view s);
std::optional<Isolation> parse_isolation(std::string_view s);

}  // namespace sr::egress
