// The daemon's small private state files: pidfile, nonce, log, lock.
//
// Contract: every path here is opened with O_NOFOLLOW and
// O_CLOEXEC, and a file we read or append to must be a regular file owned by
// the effective uid; anything else is a `security` error, never followed. New
// files are created 0600 from the first byte.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace sr::daemon {

// Creates the pidfile with O_CREAT|O_EXCL: a `conflict` error when one exists.
util::Result<void> create_pidfile(const std::filesystem::path& path, pid_t pid);

// nullopt when there is no pidfile; an error when it is unsafe or malformed.
util::Result<std::optional<pid_t>> read_pidfile(const std::filesystem::path& path);

// Whole content of a private file (at most max_bytes). Missing -> not_found.
util::Result<std::string> read_private_file(const std::filesystem::path& path,
                                            std::size_t max_bytes = 4096);

// Creates `path` exclusively (0600) holding `content`, fsynced.
util::Result<void> create_private_file(const std::filesystem::path& path,
                                       const std::string& content);

// unlink(2) that treats "already gone" as success.
util::Result<void> remove_if_present(const std::filesystem::path& path);

// Opens (creating 0600) a file for appending, e.g. the daemon and audit logs.
util::Result<util::UniqueFd> open_private_append(const std::filesystem::path& path);

enum class LockWait { no, yes };

// An exclusive flock(2) on a lock file in the state dir, held while this
// object lives. It serialises start/stop between CLI invocations; the fd is
// close-on-exec so a spawned daemon never inherits (and pins) it.
class StateLock {
 public:
  // LockWait::no -> a `conflict` error when another process holds the lock.
  static util::Result<StateLock> acquire(const std::filesystem::path& path, LockWait wait);

 private:
  explicit StateLock(util::UniqueFd fd) : fd_(std::move(fd)) {}
  util::UniqueFd fd_;
};

}  // namespace sr::daemon
