// The provider table: which env vars hold credentials the
// proxy can swap, on which hosts and in which headers.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace sr::egress {

struct Provider {
  std::string_view env_name;    // canonical variable, e.g. OPENAI_API_KEY
  std::string_view token_prefix;  // lowercase short name: tokens are "<prefix>-<32 hex>"
  std::vector<std::string_view> hosts;
  std::vector<std::string_view> headers;  // header names the token is swapped in
  bool match_query = false;               // also swap in query parameters (Gemini `key=`)
  std::vector<std::string_view> aliases;  // same credential under another name
};

// In table order (bearer providers first, then header-auth).
std::span<const Provider> providers();

// The provider whose canonical name or alias is `env_name`, or nullptr.
const Provider* find_provider(std::string_view env_name);

// Signature-based credentials the proxy cannot swap (reported as warnings).
std::span<const std::string_view> uncovered_env_names();

// The default allowlist, in order.
std::span<const std::string_view> default_allowed_hosts();

// Every name discovery looks at (canonical names and aliases), for messages.
std::vector<std::string_view> recognised_env_names();

}  // namespace sr::egress
