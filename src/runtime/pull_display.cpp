#include "runtime/pull_display.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace sr::runtime {

Verbosity pull_verbosity(bool quiet) {
  if (quiet) return Verbosity::quiet;
  return ::isatty(STDERR_FILENO) ? Verbosity::layers : Verbosity::summary;
}

void show_pull_message(const nlohmann::json& msg, Verbosity verbosity) {
  if (verbosity == Verbosity::quiet) return;
  std::string status = msg.value("status", std::string());
  if (status.empty()) return;
  std::string id = msg.value("id", std::string());
  if (!id.empty()) {
    // Byte-level "Downloading"/"Extracting" updates are the noise; the
    // state changes of each layer are what a person watches.
    bool header = status.starts_with("Pulling from");
    if (verbosity != Verbosity::layers && !header) return;
    if (auto d = msg.find("progressDetail"); d != msg.end() && d->is_object() && !d->empty()) return;
    std::fprintf(stderr, "%s: %s\n", id.c_str(), status.c_str());
    return;
  }
  std::fprintf(stderr, "%s\n", status.c_str());
}

}  // namespace sr::runtime
