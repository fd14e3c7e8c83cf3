// The daemon's environment: built from an allowlist, never a
// copy of the caller's environment.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/mappings.hpp"
#include "util/error.hpp"

namespace sr::egress {

inline constexpr std::string_view kNonceEnv = "SANDBOX_EGRESS_NONCE";
inline constexpr std::string_view kManagementKeyEnv = "SANDBOX_EGRESS_MGMT_KEY";

// Caller variables passed through when present.
inline constexpr std::string_view kDaemonEnvAllowlist[] = {
    "PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR",
    "SSL_CERT_DIR", "SSL_CERT_FILE"};

// One credential the daemon needs: the canonical env name and its aliases
// (mappings.json `env_name` / `alias_env_names`).
struct MappedCredential {
  std::string env_name;
  std::vector<std::string> aliases;
};

// The credential names of mappings.json entries (egress/mappings.hpp).
std::vector<MappedCredential> mapped_credentials(const Mappings& mappings);

// Looks a variable up in some environment (the caller's, or a secret store).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

EnvLookup process_env_lookup();

// `primary` first (a non-empty value wins, as in setup's discovery), then the
// env file's values, but only for the names in `from_file`: an env file
// supplies credentials, never PATH or HOME.
EnvLookup with_file_fallback(EnvLookup primary, std::map<std::string, std::string> file,
                             std::vector<std::string> from_file);

// Every name a credential may be found under (canonical names and aliases).
std::vector<std::string> credential_names(const std::vector<MappedCredential>& credentials);

struct DaemonEnvInputs {
  EnvLookup caller_env;                     // for the allowlisted names
  EnvLookup secrets;                        // for mapped credentials
  std::vector<MappedCredential> credentials;
  std::string management_key_env = std::string(kManagementKeyEnv);
  std::string management_key;
  std::string nonce;
};

struct DaemonEnv {
  std::map<std::string, std::string> vars;
  std::vector<std::string> missing_credentials;  // mapped names with no value anywhere
};

// Allowlisted caller vars + each credential (canonical name, else the first
// non-empty alias, exported under the canonical name) + management key + nonce,
// then every proxy variable (HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY, both
// cases) removed.
DaemonEnv build_daemon_env(const DaemonEnvInputs& in);

}  // namespace sr::egress
