// Runs the client tests only when a daemon answers; otherwise skips (77),
// or fails with the reason when SANDBOX_RUN_REQUIRE_DOCKER=1 (CI).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "docker/client.hpp"

int main(int argc, char** argv) {
  auto client = sr::docker::Client::from_env();
  auto version = client ? (*client)->api_version() : sr::util::Result<std::string>(std::unexpected(client.error()));
  if (!version) {
    const char* require = std::getenv("SANDBOX_RUN_REQUIRE_DOCKER");
    bool required = require != nullptr && std::string(require) == "1";
    std::fprintf(stderr, "%s: %s\n", required ? "FAIL: SANDBOX_RUN_REQUIRE_DOCKER=1 but" : "SKIP",
                 version.error().message.c_str());
    return required ? 1 : 77;
  }
  return Catch::Session().run(argc, argv);
}
