// The `docker run` option table is split by concern into groups of rows
// (options_table.cpp: the core; options_resources.cpp: cgroup limits;
// options_network.cpp: DNS, ports and endpoint; options_lifecycle.cpp:
// health, logging, restart and the client side), joined by
// run_option_table(). This header holds what the rows share.
#pragma once

#include <span>
#include <string>

#include "cli/run/options.hpp"
#include "cli/run/spec_builder.hpp"
#include "cli/run/values.hpp"

namespace sr::cli::rows {

using nlohmann::json;
using util::ErrorKind;
using util::fail;
using util::Result;
using V = const std::string&;
using B = SpecBuilder&;

using namespace table_terms;

inline util::Result<void> set_flag(bool& target, V v) {
  SR_ASSIGN(target, parse_bool(v));
  return {};
}

inline util::Result<void> set_json_bool(nlohmann::json& target, const char* key, V v) {
  SR_ASSIGN(const bool b, parse_bool(v));
  target[key] = b;
  return {};
}

inline util::Result<void> set_json_int(nlohmann::json& target, const char* key, V v) {
  SR_ASSIGN(const std::int64_t n, parse_int64(v));
  target[key] = n;
  return {};
}

inline util::Result<void> set_json_bytes(nlohmann::json& target, const char* key, V v) {
  SR_ASSIGN(const std::int64_t n, parse_ram_bytes(v));
  target[key] = n;
  return {};
}

std::span<const OptionDef> resource_options();
std::span<const OptionDef> network_options();
std::span<const OptionDef> lifecycle_options();
// Options docker run has that sandbox-run refuses, each with its reason.
std::span<const UnsupportedOption> refused_options();

}  // namespace sr::cli::rows
