// Publishing files atomically and reading them without following symlinks.
//
// Contract (STYLE point 7): an AtomicFile is a temp file created next to the
// target with the final mode from its first byte (O_CREAT|O_EXCL|O_NOFOLLOW),
// written, and renamed over the target only by an explicit commit(), which
// fsyncs the file and then the directory. Destroying an uncommitted AtomicFile
// unlinks the temp file and leaves the previous target intact. A target path
// that is a symbolic link is refused (ErrorKind::security) and never touched.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace sr::util {

class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::filesystem::path& target, mode_t mode);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  Result<void> write(std::string_view data);
  // fsync, re-check the target is not a symlink, rename over it, fsync the dir.
  Result<void> commit();

  [[nodiscard]] const std::filesystem::path& target() const { return target_; }
  [[nodiscard]] const std::filesystem::path& temp_path() const { return temp_; }

 private:
  AtomicFile(std::filesystem::path target, std::filesystem::path temp, UniqueFd fd)
      : target_(std::move(target)), temp_(std::move(temp)), fd_(std::move(fd)) {}

  std::filesystem::path target_;
  std::filesystem::path temp_;
  UniqueFd fd_;
  bool committed_ = false;
};

// create + write + commit.
Result<void> write_file_atomic(const std::filesystem::path& target, std::string_view data,
                               mode_t mode);

// Refuses (ErrorKind::security, naming the path) when `path` is a symbolic
// link; succeeds when it does not exist or is anything else.
Result<void> refuse_symlink(const std::filesystem::path& path);

// Reads a whole regular file with O_NOFOLLOW. A missing file is
// ErrorKind::not_found; a symlink is ErrorKind::security.
Result<std::string> read_file_nofollow(const std::filesystem::path& path);

// Whether `path` exists (lstat: a dangling symlink exists).
bool path_exists_nofollow(const std::filesystem::path& path);

}  // namespace sr::util
