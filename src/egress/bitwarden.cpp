#include "egress/bitwarden.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "util/command_runner.hpp"

namespace sr::egress {
namespace {

// bws's output is a small JSON document; the token goes to it through the
// environment, never argv (visible in ps), and the child sees only the
// variables bws needs from ours.
util::Result<util::CommandResult> run_bws(const std::string& project, const std::string& token,
                                          const EnvLookup& caller_env) {
  std::map<std::string, std::string> env;
  for (const char* name : {"PATH", "HOME", "TMPDIR", "LANG", "SSL_CERT_FILE", "SSL_CERT_DIR"})
    if (auto v = caller_env(name)) env[name] = *v;
  env["BWS_ACCESS_TOKEN"] = token;
  auto run = util::system_command_runner().run(
      {.argv = {"bws", "secret", "list", project, "--output", "json"}, .env = std::move(env)});
  if (!run && run.error().kind == util::ErrorKind::not_found)
    return util::fail(util::ErrorKind::not_found,
                      "the Bitwarden Secrets Manager CLI 'bws' is not on PATH (needed by "
                      "proxy.credential_source: bitwarden)");
  return run;
}

}  // namespace

util::Result<std::vector<std::pair<std::string, std::string>>> parse_bws_secret_list(
    const std::string& json_text) {
  std::vector<std::pair<std::string, std::string>> out;
  try {
    auto doc = nlohmann::json::parse(json_text);
    if (!doc.is_array()) throw std::runtime_error("expected a JSON array");
    for (const auto& s : doc) out.emplace_back(s.at("key").get<std::string>(), s.at("value").get<std::string>());
  } catch (const std::exception& e) {
    return util::fail(util::ErrorKind::api, std::string("unexpected 'bws secret list' output: ") + e.what());
  }
  return out;
}

namespace {

// `bws secret list <project>` after the token and project checks; every
// failure names what is missing and how to fix it, never a value.
util::Result<std::vector<std::pair<std::string, std::string>>> list_project(
    const ProxySettings& settings, const EnvLookup& env) {
  auto token = env(settings.bitwarden_token_env);
  if (!token || token->empty())
    return util::fail(util::ErrorKind::invalid_argument,
                      "Bitwarden: $" + settings.bitwarden_token_env +
                          " is not set (export the machine-account access token, or set "
                          "proxy.bitwarden_token_env)");
  if (settings.bitwarden_project.empty())
    return util::fail(util::ErrorKind::invalid_argument,
                      "Bitwarden: proxy.bitwarden_project is not set in config.yaml (pass "
                      "'sandbox-egress setup --bitwarden-project NAME')");
  SR_ASSIGN(util::CommandResult run,
            util::with_context(run_bws(settings.bitwarden_project, *token, env), "Bitwarden"));
  if (!run.ok())
    return util::fail(util::ErrorKind::api, "Bitwarden: 'bws secret list " + settings.bitwarden_project +
                                                "' failed (" + run.status_text() + "): " + run.err);
  return util::with_context(parse_bws_secret_list(run.out), "Bitwarden");
}

}  // namespace

util::Result<std::vector<std::string>> bitwarden_secret_names(const ProxySettings& settings,
                                                              const EnvLookup& env) {
  SR_ASSIGN(auto list, list_project(settings, env));
  std::vector<std::string> names;
  for (const auto& [key, value] : list)
    if (!value.empty() && std::find(names.begin(), names.end(), key) == names.end()) names.push_back(key);
  return names;
}

util::Result<SecretSource> bitwarden_secrets(const ProxySettings& settings,
                                             const std::vector<MappedCredential>& credentials,
                                             const EnvLookup& caller_env) {
  SecretSource source;
  auto listed = list_project(settings, caller_env);
  if (!listed) {
    if (!settings.allow_env_fallback) return std::unexpected(std::move(listed.error()));
    source.warnings.push_back(listed.error().message + "; using the environment instead (allow_env_fallback)");
    source.lookup = caller_env;
    return source;
  }
  auto list = std::move(*listed);

  // Keep only the names the mappings ask for; nothing else reaches the daemon.
  auto found = std::make_shared<std::map<std::string, std::string>>();
  std::vector<std::string> absent;
  std::vector<std::string> fallback_names;  // absent credentials and their aliases
  for (const auto& cred : credentials) {
    bool any = false;
    std::vector<std::string> names{cred.env_name};
    names.insert(names.end(), cred.aliases.begin(), cred.aliases.end());
    for (const auto& [key, value] : list) {
      if (std::find(names.begin(), names.end(), key) != names.end() && !value.empty()) {
        (*found)[key] = value;
        any = true;
      }
    }
    if (!any) {
      absent.push_back(cred.env_name);
      fallback_names.insert(fallback_names.end(), names.begin(), names.end());
    }
  }
  if (!absent.empty()) {
    std::string names;
    for (const auto& n : absent) names += (names.empty() ? "" : ", ") + n;
    std::string msg = "Bitwarden: project " + settings.bitwarden_project + " has no secret named " + names;
    if (!settings.allow_env_fallback) return util::fail(util::ErrorKind::not_found, msg);
    source.warnings.push_back(msg + "; using the environment for it (allow_env_fallback)");
  }
  source.lookup = [found, fallback_names, caller_env](const std::string& name) -> std::optional<std::string> {
    if (auto it = found->find(name); it != found->end()) return it->second;
    for (const auto& a : fallback_names)
      if (a == name) return caller_env(name);
    return std::nullopt;
  };
  return source;
}

}  // namespace sr::egress
