// Random values from the OS CSPRNG (getrandom(2)).
#pragma once

#include <cstddef>
#include <string>

#include "util/error.hpp"

namespace sr::util {

// `nbytes` random bytes, hex-encoded lowercase (2*nbytes characters).
Result<std::string> random_hex(std::size_t nbytes);

// Lowercase hex encoding of arbitrary bytes.
std::string to_hex(const unsigned char* data, std::size_t size);

}  // namespace sr::util
