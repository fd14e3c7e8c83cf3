// Helpers for the egress state/setup unit tests.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>

#include "egress/daemon_env.hpp"
#include "egress/discovery.hpp"

namespace sr_test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sr-egress-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Umask {
  mode_t old;
  explicit Umask(mode_t m) : old(::umask(m)) {}
  ~Umask() { ::umask(old); }
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void spit(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

inline mode_t mode_of(const std::filesystem::path& p) {
  struct stat st{};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// A presence lookup over a fixed set of names (all from the environment).
inline sr::egress::PresenceLookup present(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<sr::egress::CredentialOrigin> {
    auto it = vars.find(std::string(name));
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second == "file" ? sr::egress::CredentialOrigin::env_file
                                : sr::egress::CredentialOrigin::environment;
  };
}

// An environment lookup over a fixed map (unset names: nullopt).
inline sr::egress::EnvLookup env_from(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace sr_test
