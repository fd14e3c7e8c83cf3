#include "egress/paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "util/atomic_file.hpp"

namespace sr::egress {

Paths Paths::from_environment() {
  if (const char* h = std::getenv("SANDBOX_RUN_HOME"); h && *h) return Paths{h};
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    if (const passwd* pw = getpwuid(getuid())) home = pw->pw_dir;
  }
  return Paths{std::filesystem::path(home ? home : "/") / ".sandbox-run"};
}

bool Paths::set_up() const { return util::path_exists_nofollow(state_dir()); }

std::string Paths::not_set_up() const {
  return "egress is not set up in " + home.string() + " (no " + state_dir().string() +
         "); run 'sandbox-egress setup'";
}

}  // namespace sr::egress
