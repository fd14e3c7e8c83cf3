#include "egress/paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace sr::egress {

Paths Paths::from_environment() {
  if (const char* h = std::getenv("SANDBOX_RUN_HOME"); h && *h) return Paths{h};
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    if (const passwd* pw = getpwuid(getuid())) home = pw->pw_dir;
  }
  return Paths{std::filesystem::path(home ? home : "/") / ".sandbox-run"};
}

}  // namespace sr::egress
