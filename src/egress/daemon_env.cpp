#include "egress/daemon_env.hpp"

#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sr::egress {

util::Result<std::vector<MappedCredential>> load_mapped_credentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::vector<MappedCredential>{};
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<MappedCredential> out;
  try {
    auto doc = nlohmann::json::parse(ss.str());
    for (const auto& t : doc.at("tokens")) {
      MappedCredential c;
      c.env_name = t.at("env_name").get<std::string>();
      if (t.contains("alias_env_names"))
        c.aliases = t.at("alias_env_names").get<std::vector<std::string>>();
      out.push_back(std::move(c));
    }
  } catch (const nlohmann::json::exception& e) {
    return util::fail(util::ErrorKind::invalid_argument,
                      "reading " + path + ": corrupt mappings file (" + e.what() +
                          "); run 'sandbox-egress setup' to rewrite it");
  }
  return out;
}

EnvLookup process_env_lookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

DaemonEnv build_daemon_env(const DaemonEnvInputs& in) {
  DaemonEnv env;
  for (std::string_view name : kDaemonEnvAllowlist) {
    if (auto v = in.caller_env(std::string(name))) env.vars[std::string(name)] = *v;
  }
  for (const auto& cred : in.credentials) {
    std::optional<std::string> value = in.secrets(cred.env_name);
    for (std::size_t i = 0; (!value || value->empty()) && i < cred.aliases.size(); ++i)
      value = in.secrets(cred.aliases[i]);
    if (value && !value->empty())
      env.vars[cred.env_name] = *value;
    else
      env.missing_credentials.push_back(cred.env_name);
  }
  env.vars[in.management_key_env] = in.management_key;
  env.vars[std::string(kNonceEnv)] = in.nonce;
  // Last, so a credential or allowlist entry can never re-introduce them.
  for (const char* p : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
                        "https_proxy", "all_proxy", "no_proxy"})
    env.vars.erase(p);
  return env;
}

util::Result<std::string> random_hex_token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return util::fail(util::ErrorKind::io, "RAND_bytes: OpenSSL CSPRNG failure");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace sr::egress
