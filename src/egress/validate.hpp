// Validation of user-supplied hosts and CIDRs (config.yaml proxy: section).
#pragma once

#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::egress {

// A hostname or a "*." wildcard, lowercased. A scheme, port, path, space or
// other character outside [a-z0-9.-] is an error naming the entry.
util::Result<std::string> normalize_allowed_host(std::string_view entry);

// An IPv4 or IPv6 CIDR with an explicit prefix length ("10.0.0.0/8"); a bare
// IP is an error naming the entry. Returned unchanged when valid.
util::Result<std::string> validate_cidr(std::string_view entry);

}  // namespace sr::egress
