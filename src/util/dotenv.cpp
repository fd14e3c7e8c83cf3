#include "util/dotenv.hpp"

#include <fstream>
#include <sstream>

namespace sr::util {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Parses the value part; returns nullopt-like error message on failure.
Result<std::string> parse_value(std::string_view v) {
  v = trim(v);
  if (v.empty()) return std::string();
  if (v.front() == '\'') {
    auto end = v.find('\'', 1);
    if (end == std::string_view::npos) return fail(ErrorKind::invalid_argument, "unterminated single quote");
    return std::string(v.substr(1, end - 1));
  }
  if (v.front() == '"') {
    std::string out;
    for (size_t i = 1; i < v.size(); ++i) {
      char c = v[i];
      if (c == '"') return out;
      if (c == '\\' && i + 1 < v.size()) {
        char n = v[++i];
        out.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : n);
      } else {
        out.push_back(c);
      }
    }
    return fail(ErrorKind::invalid_argument, "unterminated double quote");
  }
  // Unquoted: an inline comment starts at " #".
  if (auto hash = v.find(" #"); hash != std::string_view::npos) v = trim(v.substr(0, hash));
  return std::string(v);
}

}  // namespace

bool valid_dotenv_key(std::string_view k) {
  if (k.empty() || (k[0] >= '0' && k[0] <= '9')) return false;
  for (char c : k)
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

Result<std::map<std::string, std::string>> parse_dotenv(const std::string& text,
                                                        const std::string& source_name) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string raw;
  int lineno = 0;
  while (std::getline(in, raw)) {
    ++lineno;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line = trim(line.substr(7));
    auto eq = line.find('=');
    auto where = source_name + ":" + std::to_string(lineno) + ": ";
    if (eq == std::string_view::npos)
      return fail(ErrorKind::invalid_argument, where + "expected KEY=VALUE");
    auto key = trim(line.substr(0, eq));
    if (!valid_dotenv_key(key))
      return fail(ErrorKind::invalid_argument, where + "invalid variable name '" + std::string(key) + "'");
    auto value = parse_value(line.substr(eq + 1));
    if (!value) return std::unexpected(std::move(value.error()).context(where + std::string(key)));
    out[std::string(key)] = std::move(*value);
  }
  return out;
}

Result<std::map<std::string, std::string>> load_dotenv(const std::filesystem::path& path) {
  std::ifstream f(path);
  if (!f) return fail_errno("open(" + path.string() + ")");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_dotenv(ss.str(), path.string());
}

}  // namespace sr::util
