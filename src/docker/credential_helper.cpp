// The real credential helper seam: `docker-credential-<name> get` as a child.
#include "docker/registry_auth.hpp"
#include "util/command_runner.hpp"

namespace sr::docker {

namespace {

// What docker-credential-helpers print (exit 1) when they hold nothing for a server.
constexpr std::string_view kNotFound = "credentials not found in native keychain";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

util::Result<std::optional<std::string>> run_credential_helper(std::string_view helper, std::string_view server) {
  const std::string program = "docker-credential-" + std::string(helper);
  const std::string what = program + " get";
  auto run = util::system_command_runner().run({.argv = {program, "get"}, .input = std::string(server)});
  if (!run) return std::unexpected(std::move(run.error()).context("running " + what + " (is it on PATH?)"));
  if (run->ok()) return std::move(run->out);
  if (trim(run->out) == kNotFound) return std::nullopt;
  // Neither its stdout nor its stderr is quoted: a broken helper may print what it holds.
  return util::fail(util::ErrorKind::generic, what + " failed (" + run->status_text() + ")");
}

}  // namespace sr::docker
