// Pull progress for `docker run` when the image is missing: per-layer status
// lines on a terminal, only the summary lines otherwise, nothing when quiet.
#pragma once

#include <nlohmann/json.hpp>

namespace sr::runtime {

enum class Verbosity { quiet, summary, layers };

// Layers on a TTY stderr, summary otherwise; quiet when requested.
Verbosity pull_verbosity(bool quiet);

// Prints one progress message from POST /images/create to stderr.
void show_pull_message(const nlohmann::json& msg, Verbosity verbosity);

}  // namespace sr::runtime
