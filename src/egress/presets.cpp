#include "egress/presets.hpp"

#include <algorithm>
#include <cctype>

#include "egress/declared_secrets.hpp"
#include "egress/yaml_location.hpp"
#include "egress/yaml_named_map.hpp"

namespace sr::egress {
namespace {

Provider github_token() {
  Provider p;
  p.env_name = "GITHUB_TOKEN";
  p.token_prefix = "github";
  // Only where GitHub reads the token: codeload and objects serve signed URLs.
  p.hosts = {"github.com", "api.github.com", "raw.githubusercontent.com"};
  // git over HTTPS sends the token as the password of HTTP Basic (any user
  // name; x-access-token by convention); the REST API and gh take a bearer.
  p.carriers = {{CarrierKind::basic, "x-access-token"}, {CarrierKind::bearer, ""}};
  p.aliases = {"GH_TOKEN"};
  p.preset = "github";
  // Public repositories are cloned anonymously (git sends the token only
  // after a 401), and most of the API answers without one.
  p.require_token = false;
  return p;
}

Provider hf_token() {
  Provider p;
  p.env_name = "HF_TOKEN";
  p.token_prefix = "hf";
  // The Hub's CDN hosts serve signed URLs and never need the token.
  p.hosts = {"huggingface.co"};
  p.carriers = {{CarrierKind::bearer, ""}};
  p.aliases = {"HUGGING_FACE_HUB_TOKEN"};
  p.preset = "huggingface";
  p.require_token = false;  // public models download without a token
  return p;
}

const std::vector<Preset>& table() {
  static const std::vector<Preset> t = {
      {"pypi", "pip install from the Python Package Index", {"pypi.org", "files.pythonhosted.org"}, std::nullopt},
      {"github", "git clone/fetch/push over HTTPS, the GitHub API, archives and raw files",
       {"github.com", "api.github.com", "codeload.github.com", "raw.githubusercontent.com",
        "objects.githubusercontent.com"},
       github_token()},
      {"huggingface", "model and dataset downloads from the Hugging Face Hub",
       {"huggingface.co", "*.huggingface.co", "*.hf.co"}, hf_token()},
  };
  return t;
}

util::Result<Preset> parse_one(const YAML::Node& name, const YAML::Node& entry, const std::string& source) {
  const std::string key = "presets." + name.Scalar();
  if (!name.IsScalar() || !preset_name(name.Scalar()))
    return yaml_error(source, name, key + ": expected a preset name of lowercase letters, digits and '-'");
  if (find_preset(name.Scalar(), {}))
    return yaml_error(source, name, key + ": " + name.Scalar() + " is a built-in preset (see docs/user-guide.md)");
  if (!entry.IsMap()) return yaml_error(source, entry, key + ": expected a mapping with hosts (and credential)");
  Preset p;
  p.name = name.Scalar();
  p.config_line = name.Mark().line + 1;
  p.summary = "defined in config.yaml";
  SR_ASSIGN(p.hosts, parse_host_list(entry["hosts"], key + ".hosts", source));
  YAML::Node cred = entry["credential"];
  if (!cred || cred.IsNull()) {
    for (const auto& kv : entry) {
      const auto& k = kv.first.Scalar();
      if (k != "hosts")
        return yaml_error(source, kv.first, key + ": unknown key '" + k + "' (expected hosts, credential" +
                                             (k == "carrier" || k == "header" || k == "param" || k == "user" ||
                                                      k == "match_body"
                                                  ? "; '" + k + "' needs a credential"
                                                  : std::string()) +
                                             ")");
    }
    return p;
  }
  if (!cred.IsScalar()) return yaml_error(source, cred, key + ".credential: expected the name of an environment variable");
  static constexpr std::string_view kExtra[] = {"credential"};
  SR_ASSIGN(Provider c, parse_credential(cred, cred.Scalar(), entry, key, source, kExtra));
  c.preset = p.name;
  p.credential = std::move(c);
  return p;
}

}  // namespace

std::span<const Preset> builtin_presets() { return table(); }

bool preset_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && name.front() != '-' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                  c == '-';
         });
}

const Preset* find_preset(const std::string& name, std::span<const Preset> user) {
  for (const auto& p : user)
    if (p.name == name) return &p;
  for (const auto& p : table())
    if (p.name == name) return &p;
  return nullptr;
}

util::Result<std::vector<Preset>> parse_presets(const YAML::Node& section, const std::string& source) {
  // parse_one refuses a built-in name, so only the user's own can repeat.
  return parse_named_map<Preset>(section, source, "presets", "a mapping of NAME: {hosts, credential}", parse_one);
}

}  // namespace sr::egress
