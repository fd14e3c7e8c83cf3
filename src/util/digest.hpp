// Message digests (Nettle).
#pragma once

#include <string>
#include <string_view>

namespace sr::util {

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace sr::util

namespace sr::util {

// Lowercase hex HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace sr::util
