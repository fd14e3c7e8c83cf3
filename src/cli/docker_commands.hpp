// The `sandbox-egress` commands that also need the Docker daemon: they
// compose egress state with runtime's Docker side.
#pragma once

#include <span>
#include <string>

namespace sr::cli {

// `sandbox-egress setup`: a DockerSandboxNetwork over the environment's
// DOCKER_HOST when one can be built, then egress::cmd_setup.
int cmd_egress_setup(std::span<const std::string> args);

// `sandbox-egress rotate-ca`, naming the running sandboxes that need a restart.
int cmd_egress_rotate_ca(std::span<const std::string> args);

// `sandbox-egress doctor` (runtime/doctor.hpp runs the checks).
int cmd_doctor(std::span<const std::string> args);

}  // namespace sr::cli
