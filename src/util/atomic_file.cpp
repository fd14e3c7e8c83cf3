#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/fd_io.hpp"
#include "util/random.hpp"

namespace sr::util {

namespace {

std::string quoted(const std::filesystem::path& p) { return p.string(); }

Result<void> fsync_dir(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("open(" + quoted(dir) + ")");
  if (::fsync(fd.get()) != 0) return fail_errno("fsync(" + quoted(dir) + ")");
  return {};
}

}  // namespace

Result<void> refuse_symlink(const std::filesystem::path& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno("lstat(" + quoted(path) + ")");
  }
  if (S_ISLNK(st.st_mode))
    return fail(ErrorKind::security,
                "refusing to use " + quoted(path) +
                    ": it is a symbolic link (remove it and try again)");
  return {};
}

bool path_exists_nofollow(const std::filesystem::path& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& target, mode_t mode) {
  SR_TRY(refuse_symlink(target));
  struct stat st{};
  if (::lstat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return fail(ErrorKind::security, "refusing to replace " + quoted(target) +
                                         ": it is not a regular file");
  SR_ASSIGN(std::string suffix, random_hex(8));
  auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  auto temp = dir / ("." + target.filename().string() + ".tmp-" + suffix);
  // The mode is given to open(2) so the file never exists with wider bits;
  // fchmod before any byte is written only undoes the umask.
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) return fail_errno("creating " + quoted(temp));
  if (::fchmod(fd.get(), mode) != 0) {
    auto err = fail_errno("fchmod(" + quoted(temp) + ")");
    ::unlink(temp.c_str());
    return err;
  }
  return AtomicFile(target, std::move(temp), std::move(fd));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_)),
      temp_(std::move(other.temp_)),
      fd_(std::move(other.fd_)),
      committed_(std::exchange(other.committed_, true)) {}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  fd_.reset();
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Result<void> AtomicFile::write(std::string_view data) {
  return write_all(fd_.get(), data, quoted(temp_));
}

Result<void> AtomicFile::commit() {
  if (committed_) return fail(ErrorKind::generic, "commit(" + quoted(target_) + "): already committed");
  if (::fsync(fd_.get()) != 0) return fail_errno("fsync(" + quoted(temp_) + ")");
  if (fd_.close() != 0) return fail_errno("close(" + quoted(temp_) + ")");
  // A symlink planted since create() would be replaced, not followed, by
  // rename(2); refusing keeps the rule "a planted symlink stops the operation".
  SR_TRY(refuse_symlink(target_));
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    return fail_errno("rename(" + quoted(temp_) + ", " + quoted(target_) + ")");
  committed_ = true;
  return fsync_dir(temp_.parent_path());
}

Result<void> write_file_atomic(const std::filesystem::path& target, std::string_view data,
                               mode_t mode) {
  SR_ASSIGN(auto file, AtomicFile::create(target, mode));
  SR_TRY(file.write(data));
  return file.commit();
}

Result<std::string> read_file_nofollow(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ELOOP)
      return fail(ErrorKind::security,
                  "refusing to read " + quoted(path) + ": it is a symbolic link");
    return fail_errno("open(" + quoted(path) + ")");
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat(" + quoted(path) + ")");
  if (!S_ISREG(st.st_mode))
    return fail(ErrorKind::invalid_argument, "reading " + quoted(path) + ": not a regular file");
  return read_to_end(fd.get(), quoted(path));
}

}  // namespace sr::util
