#include "egress/daemon_env.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace sr::egress {

std::vector<MappedCredential> mapped_credentials(const Mappings& mappings) {
  std::vector<MappedCredential> out;
  for (const auto& m : mappings.tokens) out.push_back({m.env_name, m.alias_env_names});
  return out;
}

EnvLookup process_env_lookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup with_file_fallback(EnvLookup primary, std::map<std::string, std::string> file,
                             std::vector<std::string> from_file) {
  auto values = std::make_shared<const std::map<std::string, std::string>>(std::move(file));
  return [primary = std::move(primary), values, names = std::move(from_file)](
             const std::string& name) -> std::optional<std::string> {
    auto v = primary(name);
    if (v && !v->empty()) return v;
    if (std::find(names.begin(), names.end(), name) != names.end())
      if (auto it = values->find(name); it != values->end() && !it->second.empty()) return it->second;
    return v;
  };
}

std::vector<std::string> credential_names(const std::vector<MappedCredential>& credentials) {
  std::vector<std::string> out;
  for (const auto& c : credentials) {
    out.push_back(c.env_name);
    out.insert(out.end(), c.aliases.begin(), c.aliases.end());
  }
  return out;
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

}  // namespace sr::egress
