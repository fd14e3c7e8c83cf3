// Mapped credentials from Bitwarden Secrets Manager (credential_source:
// bitwarden), through the `bws` CLI:
//   BWS_ACCESS_TOKEN=<token> bws secret list <project> --output json
// which prints a JSON array of {"id", "key", "value", "projectId", ...}.
// (https://bitwarden.com/help/secrets-manager-cli/)
#pragma once

#include <string>
#include <vector>

#include "egress/config.hpp"
#include "egress/daemon_env.hpp"
#include "util/error.hpp"

namespace sr::egress {

struct SecretSource {
  EnvLookup lookup;                   // name -> value, only for mapped names
  std::vector<std::string> warnings;  // env fallbacks taken
};

// Runs `bws` (found on PATH) with the token read from the caller's env var
// `settings.bitwarden_token_env`, and keeps only the mapped names (canonical
// or alias). Refuses (ErrorKind::invalid_argument / not_found, naming what is
// missing and how to fix it) when the token or project is unset, bws fails, or
// a mapped name is absent; with allow_env_fallback those become warnings and
// the caller's environment supplies the value instead.
util::Result<SecretSource> bitwarden_secrets(const ProxySettings& settings,
                                             const std::vector<MappedCredential>& credentials,
                                             const EnvLookup& caller_env);

// The names of the project's non-empty secrets, for setup's discovery
// (presence only: values are dropped here). The token is read through `env`
// from `settings.bitwarden_token_env`. Same refusals as bitwarden_secrets,
// without any fallback (the caller decides).
util::Result<std::vector<std::string>> bitwarden_secret_names(const ProxySettings& settings,
                                                              const EnvLookup& env);

// Parses `bws secret list --output json` output into key -> value.
util::Result<std::vector<std::pair<std::string, std::string>>> parse_bws_secret_list(
    const std::string& json_text);

}  // namespace sr::egress
