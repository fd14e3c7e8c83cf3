// Base64 (RFC 4648) over Nettle.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sr::util {

// Standard alphabet, padded.
std::string base64_encode(std::string_view raw);
// The URL-safe alphabet ('-' and '_'), padded, as Go's base64.URLEncoding.
std::string base64url_encode(std::string_view raw);
// Standard alphabet, padding optional; nullopt on invalid input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sr::util
