// Message digests (OpenSSL EVP).
#pragma once

#include <string>
#include <string_view>

namespace sr::util {

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace sr::util
