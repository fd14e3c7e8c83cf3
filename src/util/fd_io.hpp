// Whole-buffer reads and writes on a blocking file descriptor, retrying
// EINTR and short transfers. Reads go to EOF: regular files, /proc files
// (which report a size of 0, so st_size cannot be trusted) and pipes alike.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::util {

inline constexpr std::size_t kNoReadLimit = std::numeric_limits<std::size_t>::max();

// Reads `fd` from its current offset until EOF, retrying EINTR. `name` names
// the file in errors: "read(<name>): <strerror>", or invalid_argument
// "<name> is larger than <max_bytes> bytes" as soon as more than max_bytes
// have been read.
Result<std::string> read_to_end(int fd, std::string_view name, std::size_t max_bytes = kNoReadLimit);

// Writes all of `data` to `fd`. Error: "write(<name>): <strerror>".
Result<void> write_all(int fd, std::string_view data, std::string_view name);

}  // namespace sr::util
