// Errors that point into a YAML file the user wrote (config.yaml and its
// sections): "path:line:col: message", line and column 1-based, the bare path
// when the node has no position (e.g. one built in code).
#pragma once

#include <yaml-cpp/yaml.h>

#include <expected>
#include <string>

#include "util/error.hpp"

namespace sr::egress {

inline std::string yaml_location(const std::string& path, const YAML::Node& n) {
  const auto m = n.Mark();
  if (m.is_null()) return path;
  return path + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// ErrorKind::invalid_argument at `n`.
inline std::unexpected<util::Error> yaml_error(const std::string& path, const YAML::Node& n,
                                               const std::string& msg) {
  return util::fail(util::ErrorKind::invalid_argument, yaml_location(path, n) + ": " + msg);
}

}  // namespace sr::egress
