// Private directories: created 0700, refused when a symlink or not owned by
// us, and tightened back to 0700 on every writable access.
#pragma once

#include <filesystem>

#include "util/error.hpp"

namespace sr::util {

// Creates `dir` 0700 if missing (parents created 0700 too), refuses a symlink
// or a directory owned by another uid (ErrorKind::security, naming the path),
// and chmods it to exactly 0700 when its mode is wider.
Result<void> ensure_private_dir(const std::filesystem::path& dir);

// Creates `dir` and missing parents with mode 0700; leaves an existing
// directory (or symlink to one) alone.
Result<void> ensure_dir(const std::filesystem::path& dir);

}  // namespace sr::util
