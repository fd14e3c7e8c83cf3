// config.yaml sections that map NAME: entry (presets:, profiles:).
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "egress/yaml_location.hpp"
#include "util/error.hpp"

namespace sr::egress {

// Parses `section` (called `key` in errors) in file order with
// parse_one(name_node, entry_node, source) -> Result<T>, where T has a
// `name`. An absent or null section is empty; anything but a mapping is
// refused with "<key>: expected <shape>", and a name defined twice with
// "<key>.<name>: defined twice".
template <class T, class ParseOne>
util::Result<std::vector<T>> parse_named_map(const YAML::Node& section, const std::string& source,
                                             const std::string& key, const std::string& shape,
                                             ParseOne parse_one) {
  if (!section || section.IsNull()) return std::vector<T>{};
  if (!section.IsMap()) return yaml_error(source, section, key + ": expected " + shape);
  std::vector<T> out;
  for (const auto& kv : section) {
    SR_ASSIGN(T entry, parse_one(kv.first, kv.second, source));
    if (std::ranges::any_of(out, [&](const T& seen) { return seen.name == entry.name; }))
      return yaml_error(source, kv.first, key + "." + entry.name + ": defined twice");
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace sr::egress
