// config.json's detachKeys: the default `sandbox-run` and `sandbox-run exec`
// use for --detach-keys, read from $DOCKER_CONFIG like the Docker CLI.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "docker/docker_config.hpp"

using namespace sr::docker;
namespace fs = std::filesystem;

namespace {

struct ConfigDir {
  fs::path dir = fs::temp_directory_path() / ("sr-docker-config-" + std::to_string(::getpid()));
  ConfigDir() { fs::create_directories(dir); }
  ~ConfigDir() { fs::remove_all(dir); }
  void write(const std::string& text) const { std::ofstream(dir / "config.json") << text; }
  EnvLookup lookup() const {
    std::map<std::string, std::string, std::less<>> env{{"DOCKER_CONFIG", dir.string()},
                                                        {"HOME", "/nonexistent"}};
    return [env](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
  }
};

}  // namespace

TEST_CASE("detachKeys comes from $DOCKER_CONFIG/config.json", "[docker_config]") {
  ConfigDir config;
  config.write(R"({"auths": {}, "detachKeys": "ctrl-x,x"})");
  auto keys = config_detach_keys(config.lookup());
  REQUIRE(keys);
  CHECK(*keys == "ctrl-x,x");
}

TEST_CASE("no config.json or no detachKeys: no default (the daemon's ctrl-p,ctrl-q)",
          "[docker_config]") {
  ConfigDir config;
  auto missing = config_detach_keys(config.lookup());
  REQUIRE(missing);
  CHECK(missing->empty());
  config.write(R"({"auths": {}})");
  auto unset = config_detach_keys(config.lookup());
  REQUIRE(unset);
  CHECK(unset->empty());
}

TEST_CASE("a detachKeys that is not a string is an error naming the file", "[docker_config]") {
  ConfigDir config;
  config.write(R"({"detachKeys": 7})");
  auto keys = config_detach_keys(config.lookup());
  REQUIRE_FALSE(keys);
  CHECK(keys.error().message.find(config.dir.string() + "/config.json") != std::string::npos);
  CHECK(keys.error().message.find("detachKeys") != std::string::npos);
}
