// Percent-encoding of URL components (RFC 3986 §2.1).
#pragma once

#include <string>
#include <string_view>

namespace sr::util {

// Unreserved characters (ALPHA DIGIT - . _ ~) pass; every other byte becomes
// %XX (upper-case hex), so a value with '&', '=', '/' or '+' cannot change
// the structure of the query or path it is put into.
std::string percent_encode(std::string_view value);

}  // namespace sr::util
