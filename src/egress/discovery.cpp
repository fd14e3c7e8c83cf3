#include "egress/discovery.hpp"

#include <cstdlib>

#include "util/dotenv.hpp"

namespace sr::egress {

Discovery discover(const PresenceLookup& present) {
  Discovery d;
  for (const auto& p : providers()) {
    std::vector<std::string_view> names{p.env_name};
    names.insert(names.end(), p.aliases.begin(), p.aliases.end());
    for (auto name : names) {
      if (auto origin = present(name)) {
        d.found.push_back(FoundProvider{&p, std::string(name), *origin});
        break;
      }
    }
  }
  for (auto name : uncovered_env_names())
    if (present(name)) d.uncovered.emplace_back(name);
  return d;
}

PresenceLookup environment_lookup(std::map<std::string, std::string> env_file) {
  return [file = std::move(env_file)](std::string_view name) -> std::optional<CredentialOrigin> {
    std::string key(name);
    if (const char* v = std::getenv(key.c_str()); v && *v) return CredentialOrigin::environment;
    if (auto it = file.find(key); it != file.end() && !it->second.empty())
      return CredentialOrigin::env_file;
    return std::nullopt;
  };
}

util::Result<PresenceLookup> environment_lookup(const std::optional<std::filesystem::path>& env_file) {
  std::map<std::string, std::string> values;
  if (env_file) {
    auto loaded = util::load_dotenv(*env_file);
    if (!loaded) return std::unexpected(std::move(loaded.error()).context("reading --env-file"));
    values = std::move(*loaded);
  }
  return environment_lookup(std::move(values));
}

}  // namespace sr::egress
