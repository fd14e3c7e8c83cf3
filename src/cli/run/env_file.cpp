#include "cli/run/env_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "util/unique_fd.hpp"
#include "util/utf8.hpp"

namespace sr::cli {
namespace {

using util::ErrorKind;
using util::fail;

constexpr std::string_view kWhitespace = " \t\n\v\f\r";

util::Result<std::string> read_all(const std::string& path) {
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return util::fail_errno("open " + path);
  std::string out;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return util::fail_errno("read " + path);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

EnvLookup process_env_lookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

util::Result<std::vector<std::string>> parse_env_file(std::string_view content,
                                                      const EnvLookup& lookup) {
  if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);  // UTF-8 BOM
  std::vector<std::string> out;
  std::size_t line_no = 0;
  while (!content.empty()) {
    ++line_no;
    const auto nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!util::valid_utf8(line))
      return fail(ErrorKind::invalid_argument,
                  "invalid utf8 bytes at line " + std::to_string(line_no));
    const auto start = line.find_first_not_of(kWhitespace);
    if (start == std::string_view::npos) continue;
    line.remove_prefix(start);
    if (line.front() == '#') continue;
    const auto eq = line.find('=');
    const std::string_view name = line.substr(0, eq);
    if (name.empty())
      return fail(ErrorKind::invalid_argument,
                  "no variable name on line '" + std::string(line) + "'");
    if (name.find_first_of(kWhitespace) != std::string_view::npos)
      return fail(ErrorKind::invalid_argument,
                  "variable '" + std::string(name) + "' contains whitespaces");
    if (eq != std::string_view::npos) {
      out.emplace_back(line);
    } else if (auto v = lookup(std::string(name))) {
      out.push_back(std::string(name) + "=" + *v);
    }
  }
  return out;
}

util::Result<std::vector<std::string>> read_env_file(const std::string& path,
                                                     const EnvLookup& lookup) {
  SR_ASSIGN(const std::string content, read_all(path));
  return util::with_context(parse_env_file(content, lookup), "invalid env file (" + path + ")");
}

util::Result<std::string> resolve_env_flag(std::string_view value, const EnvLookup& lookup) {
  const auto eq = value.find('=');
  const std::string name(value.substr(0, eq));
  if (name.empty())
    return fail(ErrorKind::invalid_argument, "invalid environment variable: " + std::string(value));
  if (eq != std::string_view::npos) return std::string(value);
  if (auto v = lookup(name)) return name + "=" + *v;
  return name;
}

}  // namespace sr::cli
