#include "docker/registry_auth.hpp"

#include "docker/docker_config.hpp"
#include "util/base64.hpp"

namespace sr::docker {

namespace {

std::string string_field(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An auths entry: {"auth": base64(user:password)} or {"identitytoken": ...},
// older files spell username/password out.
util::Result<std::optional<AuthConfig>> from_auths_entry(const nlohmann::json& entry, std::string_view key) {
  if (!entry.is_object()) return std::nullopt;
  AuthConfig auth;
  auth.serveraddress = std::string(key);
  auth.username = string_field(entry, "username");
  auth.password = string_field(entry, "password");
  auth.identitytoken = string_field(entry, "identitytoken");
  if (std::string encoded = string_field(entry, "auth"); !encoded.empty()) {
    auto decoded = util::base64_decode(encoded);
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    // The value itself is a secret: the message names the entry only.
    if (colon == std::string::npos)
      return util::fail(util::ErrorKind::invalid_argument,
                        "config.json auths[\"" + std::string(key) + "\"].auth is not base64 of user:password");
    auth.username = decoded->substr(0, colon);
    auth.password = decoded->substr(colon + 1);
  }
  if (auth.username.empty() && auth.password.empty() && auth.identitytoken.empty()) return std::nullopt;
  return auth;
}

util::Result<std::optional<AuthConfig>> from_helper(const CredentialHelper& helper, std::string_view name,
                                                    std::string_view key) {
  SR_ASSIGN(auto out, helper(name, key));
  if (!out) return std::nullopt;
  auto j = nlohmann::json::parse(*out, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    return util::fail(util::ErrorKind::invalid_argument,
                      "docker-credential-" + std::string(name) + " get: its answer is not a JSON object");
  AuthConfig auth;
  auth.serveraddress = std::string(key);
  // Helpers return identity tokens with the username "<token>".
  if (string_field(j, "Username") == "<token>")
    auth.identitytoken = string_field(j, "Secret");
  else {
    auth.username = string_field(j, "Username");
    auth.password = string_field(j, "Secret");
  }
  return auth;
}

}  // namespace

std::string auth_key_hostname(std::string_view key) {
  if (key.starts_with("http://")) key.remove_prefix(7);
  else if (key.starts_with("https://")) key.remove_prefix(8);
  return std::string(key.substr(0, key.find('/')));
}

std::string registry_key(const ImageRef& ref) {
  if (ref.domain.empty() || ref.domain == "docker.io" || ref.domain == "index.docker.io")
    return std::string(kDockerHubAuthKey);
  return ref.domain;
}

util::Result<std::optional<AuthConfig>> lookup_auth(const nlohmann::json& config, std::string_view key,
                                                    const CredentialHelper& helper_in) {
  CredentialHelper helper = helper_in ? helper_in : CredentialHelper(run_credential_helper);
  const std::string host = auth_key_hostname(key);
  if (auto helpers = config.find("credHelpers"); helpers != config.end() && helpers->is_object())
    if (auto it = helpers->find(host); it != helpers->end() && it->is_string() && !it->get<std::string>().empty())
      return from_helper(helper, it->get<std::string>(), key);
  if (std::string store = string_field(config, "credsStore"); !store.empty()) return from_helper(helper, store, key);

  auto auths = config.find("auths");
  if (auths == config.end() || !auths->is_object()) return std::nullopt;
  if (auto it = auths->find(std::string(key)); it != auths->end()) return from_auths_entry(*it, key);
  // Entries written as URLs ("http://127.0.0.1:5000/v2/") match by host.
  for (const auto& [name, entry] : auths->items())
    if (auth_key_hostname(name) == key) return from_auths_entry(entry, key);
  return std::nullopt;
}

std::string encode_registry_auth(const AuthConfig& auth) {
  nlohmann::json j = nlohmann::json::object();
  if (!auth.username.empty()) j["username"] = auth.username;
  if (!auth.password.empty()) j["password"] = auth.password;
  if (!auth.identitytoken.empty()) j["identitytoken"] = auth.identitytoken;
  if (!auth.serveraddress.empty()) j["serveraddress"] = auth.serveraddress;
  return util::base64url_encode(j.dump());
}

util::Result<std::string> registry_auth_for(const ImageRef& ref, const EnvLookup& lookup,
                                            const CredentialHelper& helper) {
  const std::string key = registry_key(ref);
  SR_ASSIGN(auto config, load_docker_config(docker_config_dir(lookup)));
  auto auth = lookup_auth(config, key, helper);
  if (!auth) return std::unexpected(std::move(auth.error()).context("registry credentials for " + key));
  return *auth ? encode_registry_auth(**auth) : std::string();
}

}  // namespace sr::docker
