// Providers: which env vars hold credentials the proxy can swap, on which
// hosts and how each is carried. The built-in table and the credentials a
// user declares in config.yaml (`secrets:`) are the same data.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sr::egress {

// How a credential travels in a request, and so where the proxy swaps it.
enum class CarrierKind {
  bearer,  // Authorization: Bearer <token>
  header,  // a named header holds the token
  query,   // a query parameter holds the token
  basic,   // Authorization: Basic base64(user:token), user fixed
};

struct Carrier {
  CarrierKind kind = CarrierKind::bearer;
  std::string name;  // header name (header), parameter (query), user (basic)
};

struct Provider {
  std::string env_name;      // canonical variable, e.g. OPENAI_API_KEY
  std::string token_prefix;  // lowercase short name: tokens are "<prefix>-<32 hex>"
  std::vector<std::string> hosts;
  std::vector<Carrier> carriers;
  std::vector<std::string> aliases;  // same credential under another name
  bool match_body = false;           // also swap in request bodies
  int config_line = 0;               // declared in config.yaml at this line (0 = built in)
  std::string preset{};              // the credential of this preset (egress/presets.hpp), if any
  // The built-in engine refuses a request to one of `hosts` that carries no
  // proxy token (`require`); false where anonymous requests are normal.
  bool require_token = true;
};

// The header names the token is swapped in (Authorization for bearer and
// basic), in carrier order, de-duplicated.
std::vector<std::string> match_headers(const Provider& p);
// Whether a query parameter carries the token.
bool match_query(const Provider& p);

std::string_view to_string(CarrierKind k);  // "bearer" | "header" | "query" | "basic"
// "bearer", "header x-api-key", "query key", "basic user x-access-token".
std::string describe(const Carrier& c);

// The built-in table, in order (bearer providers first, then header-auth).
std::span<const Provider> providers();

// The provider in `table` whose canonical name or alias is `env_name`, or nullptr.
const Provider* find_provider(std::string_view env_name, std::span<const Provider> table = providers());

// Signature-based credentials the proxy cannot swap (reported as warnings).
std::span<const std::string_view> uncovered_env_names();

// The default allowlist, in order.
std::span<const std::string_view> default_allowed_hosts();

// Every name discovery looks at (canonical names and aliases), for messages.
std::vector<std::string_view> recognised_env_names();

}  // namespace sr::egress
