// Which provider credentials are available: exported environment first, then
// an optional dotenv file (an exported non-empty value wins). Only presence is
// recorded; real values are never kept or printed.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "egress/providers.hpp"
#include "util/error.hpp"

namespace sr::egress {

enum class CredentialOrigin { environment, env_file, bitwarden };

struct FoundProvider {
  const Provider* provider = nullptr;
  std::string found_as;  // the name that held the value (canonical or an alias)
  CredentialOrigin origin = CredentialOrigin::environment;
};

struct Discovery {
  std::vector<FoundProvider> found;      // table order, one per provider (aliases collapsed)
  std::vector<std::string> uncovered;    // uncovered names that are set
};

// Whether a variable is set non-empty, and where. A seam: tests pass a map.
using PresenceLookup = std::function<std::optional<CredentialOrigin>(std::string_view name)>;

// Over `table` (the built-in providers, or known_providers(config) with the
// declared ones); FoundProvider::provider points into it.
Discovery discover(const PresenceLookup& present, std::span<const Provider> table = providers());

// Lookup over the process environment, then `env_file` values (may be empty).
PresenceLookup environment_lookup(std::map<std::string, std::string> env_file);

// Loads the dotenv file when given (errors name the file, never a value).
util::Result<PresenceLookup> environment_lookup(const std::optional<std::filesystem::path>& env_file);

// A dotenv file that holds real credentials (setup --env-file, recorded as
// proxy.env_file and read by start). It must be a regular file (a symlink is
// refused, ErrorKind::security), owned by the effective uid, and closed to
// group and others (mode & 077 == 0). With `strict`, an owner or mode problem
// refuses (ErrorKind::security, naming the file and the fix: chmod 600);
// otherwise it is returned in `warnings`. A missing file is
// ErrorKind::not_found naming it. Messages never quote a value.
struct CredentialFile {
  std::map<std::string, std::string> values;
  std::vector<std::string> warnings;
};
enum class FileCheck { strict, warn };
util::Result<CredentialFile> load_credential_file(const std::filesystem::path& path, FileCheck check);

}  // namespace sr::egress
