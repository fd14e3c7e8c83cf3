#include "runtime/cidfile.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sr::runtime {

util::Result<CidFile> CidFile::create(const std::string& path) {
  if (path.empty()) return CidFile({}, util::UniqueFd{});
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (!fd) {
    const int err = errno;
    if (err == EEXIST)
      return util::fail(util::ErrorKind::conflict,
                        "container ID file found, make sure the other container isn't running or delete " + path);
    return util::fail(util::kind_from_errno(err),
                      "failed to create the container ID file: open " + path + ": " + std::strerror(err));
  }
  return CidFile(path, std::move(fd));
}

util::Result<void> CidFile::write(const std::string& id) {
  if (!fd_) return {};
  const ssize_t n = ::write(fd_.get(), id.data(), id.size());
  const int err = errno;
  fd_.reset();
  if (n != static_cast<ssize_t>(id.size()))
    return util::fail(util::kind_from_errno(err), "failed to write the container ID to the file: " + path_ +
                                                      ": " + (n < 0 ? std::strerror(err) : "short write"));
  return {};
}

void CidFile::discard() {
  if (!fd_) return;
  fd_.reset();
  ::unlink(path_.c_str());
}

}  // namespace sr::runtime
