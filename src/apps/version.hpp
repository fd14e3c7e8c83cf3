// One --version line for both binaries, in the shape of `docker --version`:
//   sandbox-run version 0.1.0, build 96d71b0        (from a git checkout)
//   sandbox-run version 0.1.0, build 96d71b0-dirty  (tracked files modified)
//   sandbox-run version 0.1.0                       (from a release tarball)
#pragma once

#include <cstdio>

#include "sr_build_info.hpp"

namespace sr::apps {

inline void print_version(const char* program) {
  if (*kGitCommit != '\0')
    std::printf("%s version %s, build %s\n", program, SANDBOX_RUN_VERSION, kGitCommit);
  else
    std::printf("%s version %s\n", program, SANDBOX_RUN_VERSION);
}

}  // namespace sr::apps
