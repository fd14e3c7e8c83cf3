// Installing the pinned iron-proxy release (engine: iron-proxy).
//
// Contract: downloads `iron-proxy_<ver>_<os>_<arch>.tar.gz`, `checksums.txt`
// and `checksums.txt.asc` from the release base URL
// ($SANDBOX_EGRESS_RELEASE_BASE_URL, else config proxy.release_base_url, else
// the upstream GitHub release); verifies the archive's SHA-256 against
// checksums.txt; verifies checksums.txt's signature with gpgv against the
// keyring named by $SANDBOX_EGRESS_RELEASE_KEYRING (else
// $SANDBOX_RUN_HOME/iron-proxy-release.gpg) when gpgv is installed, and, when
// a release key is pinned, requires the signing key (or its primary key) to
// have that fingerprint (a bad signature or another key refuses; no gpgv or
// no keyring warns). The pin is compiled in (CMake cache variable
// SANDBOX_EGRESS_RELEASE_KEY_FINGERPRINT) and, when it is, the environment
// variable of the same name cannot override it; otherwise the environment
// variable is the pin. Extracts only the top-level
// `iron-proxy` regular file (absolute paths, `..`, links refused) and installs
// it atomically at Paths::iron_proxy_binary(), mode 0755.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "util/error.hpp"

namespace sr::daemon {

inline constexpr std::string_view kIronProxyVersion = "0.39.0";

enum class InstallMode { if_missing, force };
enum class InstallStatus { installed, already_present };

struct InstallOutcome {
  InstallStatus status = InstallStatus::installed;
  std::filesystem::path binary;
  std::string version;  // from the version probe, may be empty
  std::vector<std::string> warnings;
};

util::Result<InstallOutcome> install_iron_proxy(const egress::Paths& paths, const egress::Config& config,
                                                InstallMode mode);

// "iron-proxy_0.39.0_linux_amd64.tar.gz" for this machine; an error naming
// the platform when no release asset exists for it.
util::Result<std::string> release_asset_name(std::string_view os, std::string_view machine);

// The base URL in effect for `config` (see contract above).
std::string release_base_url(const egress::Config& config);

// `<binary> --version` output (first line), cached per path + mtime + size in
// $SANDBOX_RUN_HOME/bin/.iron-proxy.version.
util::Result<std::string> probe_version(const egress::Paths& paths, const std::filesystem::path& binary);

// The release-key fingerprint compiled in ("" when the build set none).
std::string_view compiled_release_key_fingerprint();

// The pin in effect: `compiled` when non-empty (an `env_value` that differs is
// ignored with a warning), else `env_value`; spaces removed, upper-cased.
// An empty result means no pin. A pin that is not 40 or 64 hex digits is an
// error naming where it came from.
util::Result<std::string> release_key_pin(std::string_view compiled, std::string_view env_value,
                                          std::vector<std::string>& warnings);

// Whether gpgv's --status-fd output holds a VALIDSIG line whose signing key
// or primary key fingerprint is `pin`.
bool signed_by(const std::string& gpgv_status, const std::string& pin);

// From checksums.txt text, the hex digest recorded for `file`.
util::Result<std::string> checksum_for(const std::string& checksums, const std::string& file);

}  // namespace sr::daemon
