// Credentials declared in config.yaml beside the built-in providers:
//
//   secrets:
//     GITHUB_TOKEN:                  # the env var (or Bitwarden secret) holding the real value
//       hosts: [github.com, api.github.com, "*.githubusercontent.com"]
//       carrier: [basic, bearer]     # bearer | header | query | basic, or a list
//       user: x-access-token         # basic: the fixed user name
//       header: X-Api-Key            # header: the header name
//       param: key                   # query: the parameter name
//       match_body: false            # also swap the token in request bodies
//
// Each becomes a Provider (egress/providers.hpp), so it gets a proxy token, its
// hosts join the allowlist and it is rendered into proxy.yaml like a built-in.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "egress/providers.hpp"
#include "util/error.hpp"

namespace sr::egress {

// Parses the `secrets:` section (null = none). Refused, as
// "source:line:col: secrets.NAME...: why" (ErrorKind::invalid_argument): a
// name that is not an env var name or is a built-in provider's, an unknown
// key or carrier, a carrier without its name (header/param/user), an empty or
// invalid host list, a wildcard on a bare top-level domain (`*.com`), and two
// credentials (declared or built in) swapped in the same header on the same host.
util::Result<std::vector<Provider>> parse_declared_secrets(const YAML::Node& section,
                                                           const std::string& source);

// One credential entry (a declared secret, or a user-defined preset's
// credential) named `env_name`: hosts, carrier, header/param/user,
// match_body, plus the keys in `extra_keys` (left to the caller). `where`
// locates errors ("source:line:col: KEY...: why") and sets config_line.
util::Result<Provider> parse_credential(const YAML::Node& where, const std::string& env_name,
                                        const YAML::Node& entry, const std::string& key,
                                        const std::string& source, std::span<const std::string_view> extra_keys);

// A non-empty list of host patterns, normalised; a wildcard on a bare
// top-level domain is refused. Errors read "source:line:col: KEY: why".
util::Result<std::vector<std::string>> parse_host_list(const YAML::Node& n, const std::string& key,
                                                       const std::string& source);

// Refuses `p` when one of `others` has its name or claims one of its headers
// on an overlapping host, naming `where` and `key`.
util::Result<void> check_clashes(const Provider& p, std::span<const Provider> others, const YAML::Node& where,
                                 const std::string& key, const std::string& source);

// The built-in providers, then the declared ones, in order.
std::vector<Provider> known_providers(std::span<const Provider> declared);

// Whether two host patterns ("a.b" or "*.b", lowercase) can match one host.
// A "*." pattern also matches its apex, as iron-proxy v0.39 does.
bool hosts_overlap(const std::string& a, const std::string& b);

}  // namespace sr::egress
