// sandbox-egress audit (tail | grep | stats | export).
#pragma once

#include <span>
#include <string>

namespace sr::cli {

int cmd_audit(std::span<const std::string> args);

}  // namespace sr::cli
