#include "daemon/pidfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "util/fd_io.hpp"

namespace sr::daemon {
namespace {

// Refuses anything that is not a regular file owned by us: a planted file
// owned by someone else could feed us a pid to signal or a log to write into.
util::Result<void> check_owned_regular(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return util::fail_errno("fstat " + path.string());
  if (!S_ISREG(st.st_mode))
    return util::fail(util::ErrorKind::security, path.string() + " is not a regular file");
  if (st.st_uid != ::geteuid())
    return util::fail(util::ErrorKind::security,
                      path.string() + " is owned by uid " + std::to_string(st.st_uid) +
                          ", not by us (uid " + std::to_string(::geteuid()) + ")");
  return {};
}

util::Result<util::UniqueFd> open_checked(const std::filesystem::path& path, int flags) {
  util::UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == ELOOP)
      return util::fail(util::ErrorKind::security,
                        "open " + path.string() + ": is a symbolic link (refusing to follow it)");
    return util::fail_errno("open " + path.string());
  }
  SR_TRY(check_owned_regular(fd.get(), path));
  return fd;
}

}  // namespace

util::Result<void> create_private_file(const std::filesystem::path& path,
                                       const std::string& content) {
  SR_ASSIGN(util::UniqueFd fd, open_checked(path, O_WRONLY | O_CREAT | O_EXCL));
  SR_TRY(util::write_all(fd.get(), content, path.string()));
  if (::fsync(fd.get()) != 0) return util::fail_errno("fsync " + path.string());
  return {};
}

util::Result<void> create_pidfile(const std::filesystem::path& path, pid_t pid) {
  return util::with_context(create_private_file(path, std::to_string(pid) + "\n"),
                            "writing pidfile");
}

util::Result<std::string> read_private_file(const std::filesystem::path& path,
                                            std::size_t max_bytes) {
  SR_ASSIGN(util::UniqueFd fd, open_checked(path, O_RDONLY));
  return util::read_to_end(fd.get(), path.string(), max_bytes);
}

util::Result<std::optional<pid_t>> read_pidfile(const std::filesystem::path& path) {
  auto text = read_private_file(path, 64);
  if (!text) {
    if (text.error().kind == util::ErrorKind::not_found) return std::optional<pid_t>{};
    return std::unexpected(std::move(text.error()).context("reading pidfile"));
  }
  std::string_view s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  pid_t pid = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), pid);
  if (ec != std::errc() || p != s.data() + s.size() || pid <= 0)
    return util::fail(util::ErrorKind::invalid_argument,
                      "reading pidfile " + path.string() + ": not a pid: '" + std::string(s) + "'");
  return std::optional<pid_t>{pid};
}

util::Result<void> remove_if_present(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return util::fail_errno("unlink " + path.string());
  return {};
}

util::Result<util::UniqueFd> open_private_append(const std::filesystem::path& path) {
  return open_checked(path, O_WRONLY | O_CREAT | O_APPEND);
}

util::Result<StateLock> StateLock::acquire(const std::filesystem::path& path, LockWait wait) {
  SR_ASSIGN(util::UniqueFd fd, open_checked(path, O_RDWR | O_CREAT));
  int op = LOCK_EX | (wait == LockWait::no ? LOCK_NB : 0);
  while (::flock(fd.get(), op) != 0) {
    if (errno == EINTR && wait == LockWait::yes) continue;
    if (errno == EWOULDBLOCK)
      return util::fail(util::ErrorKind::conflict, "lock " + path.string() + " is held by another process");
    return util::fail_errno("flock " + path.string());
  }
  return StateLock(std::move(fd));
}

}  // namespace sr::daemon
