#include "egress/discovery.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "util/dotenv.hpp"
#include "util/fd_io.hpp"
#include "util/unique_fd.hpp"

namespace sr::egress {

Discovery discover(const PresenceLookup& present, std::span<const Provider> table) {
  Discovery d;
  for (const auto& p : table) {
    std::vector<std::string_view> names{p.env_name};
    names.insert(names.end(), p.aliases.begin(), p.aliases.end());
    for (auto name : names) {
      if (auto origin = present(name)) {
        d.found.push_back(FoundProvider{&p, std::string(name), *origin});
        break;
      }
    }
  }
  for (auto name : uncovered_env_names())
    if (present(name)) d.uncovered.emplace_back(name);
  return d;
}

PresenceLookup environment_lookup(std::map<std::string, std::string> env_file) {
  return [file = std::move(env_file)](std::string_view name) -> std::optional<CredentialOrigin> {
    std::string key(name);
    if (const char* v = std::getenv(key.c_str()); v && *v) return CredentialOrigin::environment;
    if (auto it = file.find(key); it != file.end() && !it->second.empty())
      return CredentialOrigin::env_file;
    return std::nullopt;
  };
}

util::Result<PresenceLookup> environment_lookup(const std::optional<std::filesystem::path>& env_file) {
  std::map<std::string, std::string> values;
  if (env_file) {
    auto loaded = util::load_dotenv(*env_file);
    if (!loaded) return std::unexpected(std::move(loaded.error()).context("reading --env-file"));
    values = std::move(*loaded);
  }
  return environment_lookup(std::move(values));
}

util::Result<CredentialFile> load_credential_file(const std::filesystem::path& path, FileCheck check) {
  const std::string name = path.string();
  // O_NOFOLLOW: the checks below are made on the file actually read.
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    const int err = errno;
    if (err == ELOOP)
      return util::fail(util::ErrorKind::security,
                        name + " is a symbolic link; credentials are read only from a regular file "
                               "you own (give the real file's path)");
    if (err == ENOENT)
      return util::fail(util::ErrorKind::not_found, name + " does not exist");
    return util::fail_errno("open(" + name + ")", err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return util::fail_errno("fstat(" + name + ")");
  if (!S_ISREG(st.st_mode))
    return util::fail(util::ErrorKind::invalid_argument, name + " is not a regular file");
  CredentialFile out;
  std::vector<std::string> problems;
  if (st.st_uid != ::geteuid())
    problems.push_back(name + " is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
                       std::to_string(::geteuid()) + "); credentials are read only from your own file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    problems.push_back(name + " is readable by group or others (mode " + mode + "); run 'chmod 600 " +
                       name + "'");
  }
  if (!problems.empty()) {
    if (check == FileCheck::strict) {
      std::string msg;
      for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
      return util::fail(util::ErrorKind::security, msg);
    }
    out.warnings = std::move(problems);
  }
  SR_ASSIGN(const std::string text, util::read_to_end(fd.get(), name, std::size_t{1} << 20));
  SR_ASSIGN(out.values, util::parse_dotenv(text, name));
  return out;
}

}  // namespace sr::egress
