// Proxy tokens and the reconciliation of mappings with discovered providers.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "egress/discovery.hpp"
#include "egress/mappings.hpp"
#include "util/error.hpp"

namespace sr::egress {

// "<prefix>-<32 hex>": 128 bits from the OS CSPRNG, never derived from a key.
util::Result<std::string> mint_token(std::string_view prefix);

enum class TokenPolicy { keep_existing, rotate };

struct ReconcileReport {
  std::vector<std::string> kept;     // env names whose token was preserved
  std::vector<std::string> minted;   // env names given a new token
  std::vector<std::string> dropped;  // env names no longer present
};

// One mapping per found provider, in table order. With keep_existing, a
// provider already mapped keeps its token; hosts, headers and aliases are
// always refreshed from the provider table.
util::Result<Mappings> reconcile(const Mappings& existing, const Discovery& found,
                                 TokenPolicy policy, ReconcileReport& report);

// The management API key: read from `path`, or created
// (64 hex chars, 0600) when missing. Refuses a symlink.
util::Result<std::string> ensure_management_token(const std::filesystem::path& path);

}  // namespace sr::egress
