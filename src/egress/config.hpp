// config.yaml: the user's settings (proxy: section and docker_env:).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace sr::egress {

enum class Engine { builtin, iron_proxy };
enum class CredentialSource { env, bitwarden };
enum class Isolation { internal, bridge };

struct ProxySettings {
  bool enabled = false;
  Engine engine = Engine::builtin;
  std::uint16_t tunnel_port = 9090;  // 1..65533: +1 plain HTTP, +2 management
  bool auto_install = true;
  CredentialSource credential_source = CredentialSource::env;
  bool enforce = true;
  bool allow_env_fallback = false;
  std::optional<std::vector<std::string>> upstream_deny_cidrs;  // nullopt -> defaults
  std::vector<std::string> extra_allowed_hosts;
  Isolation isolation = Isolation::internal;
  // Installer (iron-proxy engine): release base URL override, for mirrors.
  std::string release_base_url;
  // Bitwarden (credential_source: bitwarden).
  std::string bitwarden_project;
  std::string bitwarden_token_env = "BWS_ACCESS_TOKEN";
};

struct Config {
  ProxySettings proxy;
  std::map<std::string, std::string> docker_env;  // added to every sandbox
  std::vector<std::string> warnings;  // unknown keys etc., reported by callers
};

// Missing file -> defaults. Malformed -> "path:line:col: message".
util::Result<Config> load_config(const std::filesystem::path& path);

}  // namespace sr::egress
