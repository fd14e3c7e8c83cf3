#include "util/secure_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/unique_fd.hpp"

namespace sr::util {

Result<void> ensure_dir(const std::filesystem::path& dir) {
  struct stat st{};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return fail(ErrorKind::invalid_argument, dir.string() + " exists and is not a directory");
    return {};
  }
  if (errno != ENOENT) return fail_errno("stat(" + dir.string() + ")");
  if (dir.has_parent_path() && dir.parent_path() != dir) SR_TRY(ensure_dir(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail_errno("mkdir(" + dir.string() + ")");
  return {};
}

Result<void> ensure_private_dir(const std::filesystem::path& dir) {
  if (dir.has_parent_path()) SR_TRY(ensure_dir(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail_errno("mkdir(" + dir.string() + ")");
  // Open without following so the checks and the chmod apply to the object
  // we looked at, not to whatever a swapped-in symlink points to.
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    struct stat lst{};
    if ((errno == ELOOP || errno == ENOTDIR) && ::lstat(dir.c_str(), &lst) == 0 &&
        S_ISLNK(lst.st_mode))
      return fail(ErrorKind::security, "refusing to use " + dir.string() +
                                           ": it is a symbolic link (remove it and try again)");
    return fail_errno("open(" + dir.string() + ")");
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat(" + dir.string() + ")");
  if (st.st_uid != ::geteuid())
    return fail(ErrorKind::security, "refusing to use " + dir.string() + ": owned by uid " +
                                         std::to_string(st.st_uid) + ", not by uid " +
                                         std::to_string(::geteuid()));
  if ((st.st_mode & 07777) != 0700 && ::fchmod(fd.get(), 0700) != 0)
    return fail_errno("chmod 0700 " + dir.string());
  return {};
}

}  // namespace sr::util
