// The statuses `docker run` (and so sandbox-run) exits with for its own
// failures, kept distinct from the container's own exit status.
#pragma once

namespace sr::util {

inline constexpr int kExitLauncher = 125;      // the tool or the daemon failed (also a bad flag)
inline constexpr int kExitCannotInvoke = 126;  // the container's command cannot be invoked
inline constexpr int kExitNotFound = 127;      // the container's command was not found

}  // namespace sr::util
