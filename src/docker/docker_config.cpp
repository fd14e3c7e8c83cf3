#include "docker/docker_config.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sr::docker {

EnvLookup env_or_getenv(const EnvLookup& lookup) {
  if (lookup) return lookup;
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string docker_config_dir(const EnvLookup& lookup_in) {
  EnvLookup lookup = env_or_getenv(lookup_in);
  if (auto dir = lookup("DOCKER_CONFIG"); dir && !dir->empty()) return *dir;
  return lookup("HOME").value_or("") + "/.docker";
}

util::Result<nlohmann::json> load_docker_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return nlohmann::json::object();
    return util::fail_errno("reading " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    return util::fail(util::ErrorKind::invalid_argument, "reading " + path + ": not a JSON object");
  return j;
}

util::Result<std::string> config_detach_keys(const EnvLookup& lookup) {
  const std::string dir = docker_config_dir(lookup);
  SR_ASSIGN(auto config, load_docker_config(dir));
  auto it = config.find("detachKeys");
  if (it == config.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return util::fail(util::ErrorKind::invalid_argument, "reading " + dir + "/config.json: detachKeys is not a string");
  return it->get<std::string>();
}

}  // namespace sr::docker
