// Shared plumbing of the egress commands: CLI11 parsing with the project's
// exit codes and one output format ("sandbox-egress: error: ...").
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <span>
#include <string>

#include "util/error.hpp"

namespace sr::cli {

// nullopt: parsed, go on. Otherwise the exit code (0 for --help, 2 for usage).
std::optional<int> parse(CLI::App& app, std::span<const std::string> args);

void info(const std::string& msg);     // stdout
void warn(const std::string& msg);     // stderr "sandbox-egress: warning: "
int error(const std::string& msg);     // stderr "sandbox-egress: error: ", returns 1
int error(const util::Error& e);

}  // namespace sr::cli
