// --cidfile: the file the container's ID is written to, as the Docker CLI
// handles it (cli/command/container/create.go newCIDFile): refused when it
// exists, created before the container, written once the container exists,
// removed again when creating the container fails.
#pragma once

#include <string>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace sr::runtime {

class CidFile {
 public:
  // An empty path is "no --cidfile": every call is then a no-op. The file is
  // created with O_EXCL and O_NOFOLLOW (a planted symlink is "found", never
  // followed), mode 0666 less the umask like the CLI's os.Create.
  static util::Result<CidFile> create(const std::string& path);

  CidFile(CidFile&&) noexcept = default;
  CidFile& operator=(CidFile&&) noexcept = default;

  util::Result<void> write(const std::string& id);
  // Creating the container failed: the file goes again.
  void discard();

 private:
  CidFile(std::string path, util::UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  util::UniqueFd fd_;
};

}  // namespace sr::runtime
