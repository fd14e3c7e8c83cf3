// mappings.json (0600, atomically replaced): one entry per provider credential.
//   {"version": 1, "tokens": [{"proxy_token", "env_name", "upstream_hosts",
//                              "match_headers", "alias_env_names"}]}
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace sr::egress {

struct Mapping {
  std::string proxy_token;
  std::string env_name;
  std::vector<std::string> upstream_hosts;
  std::vector<std::string> match_headers;
  std::vector<std::string> alias_env_names;
};

struct Mappings {
  std::vector<Mapping> tokens;
};

// Text <-> model. A corrupt document is ErrorKind::invalid_argument with a
// message naming `source_name` and what is wrong (never a token value).
util::Result<Mappings> parse_mappings(const std::string& text, const std::string& source_name);
std::string serialize_mappings(const Mappings& m);

// Missing file -> empty Mappings (callers decide whether that is acceptable).
// Symlink -> ErrorKind::security. Corrupt -> invalid_argument.
util::Result<Mappings> load_mappings(const std::filesystem::path& path);
// Atomic, 0600, refuses a symlink at `path`.
util::Result<void> save_mappings(const std::filesystem::path& path, const Mappings& m);

// "first12…last4" (U+2026), or the token itself when it is too short to redact.
std::string redact_token(const std::string& token);

}  // namespace sr::egress
