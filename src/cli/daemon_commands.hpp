// `sandbox-egress start | stop | restart | reload | install`. Each parses its
// own flags and returns the exit code: 0 success, 1 failure, 2 usage.
#pragma once

#include <span>
#include <string>

namespace sr::cli {

int cmd_start(std::span<const std::string> args);
int cmd_stop(std::span<const std::string> args);
int cmd_restart(std::span<const std::string> args);
int cmd_reload(std::span<const std::string> args);
int cmd_install(std::span<const std::string> args);

}  // namespace sr::cli
