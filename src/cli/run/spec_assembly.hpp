// The second half of SpecBuilder::finish(): options judged once every flag
// is read (health check, restart policy, network endpoint, logging, storage,
// --expose, --cgroupns, --memory-swappiness), written into the create body
// `body` and its HostConfig `hc`.
#pragma once

#include <nlohmann/json.hpp>

#include "cli/run/spec_builder.hpp"
#include "util/error.hpp"

namespace sr::cli {

util::Result<void> assemble_late_options(const SpecBuilder& b, nlohmann::json& body, nlohmann::json& hc);

}  // namespace sr::cli
