#include "egress/provider_list.hpp"

#include <fmt/format.h>

namespace sr::egress {
namespace {

std::string_view origin_name(CredentialOrigin o) {
  switch (o) {
    case CredentialOrigin::environment: return "environment";
    case CredentialOrigin::env_file: return "env_file";
    case CredentialOrigin::bitwarden: return "bitwarden";
  }
  return "environment";
}

// The first of the provider's names that holds a value.
std::optional<CredentialOrigin> presence(const Provider& p, const PresenceLookup& present) {
  if (auto o = present(p.env_name)) return o;
  for (const auto& a : p.aliases)
    if (auto o = present(a)) return o;
  return std::nullopt;
}

std::string source_of(const Provider& p) {
  if (!p.preset.empty()) return "preset " + p.preset;
  return p.config_line == 0 ? "builtin" : "config.yaml:" + std::to_string(p.config_line);
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

nlohmann::json providers_json(std::span<const Provider> table, const PresenceLookup& present) {
  auto list = nlohmann::json::array();
  for (const auto& p : table) {
    auto carriers = nlohmann::json::array();
    for (const auto& c : p.carriers) {
      nlohmann::json j = {{"kind", std::string(to_string(c.kind))}};
      if (!c.name.empty()) j["name"] = c.name;
      carriers.push_back(std::move(j));
    }
    auto origin = presence(p, present);
    nlohmann::json e = {{"env", p.env_name},        {"token_env", p.env_name}, {"aliases", p.aliases},
                        {"hosts", p.hosts},         {"carriers", carriers},    {"match_body", p.match_body},
                        {"source", source_of(p)},   {"present", origin.has_value()}};
    if (origin) e["present_in"] = std::string(origin_name(*origin));
    list.push_back(std::move(e));
  }
  return {{"providers", list}};
}

std::string providers_text(std::span<const Provider> table, const PresenceLookup& present) {
  std::string out;
  for (const auto& p : table) {
    std::vector<std::string> carriers;
    for (const auto& c : p.carriers) carriers.push_back(describe(c));
    auto origin = presence(p, present);
    out += fmt::format("{}  [{}]  {}\n", p.env_name, source_of(p),
                       origin ? "value present (" + std::string(origin_name(*origin)) + ")" : "no value");
    out += "  hosts:    " + joined(p.hosts) + "\n";
    out += "  carrier:  " + joined(carriers) + (p.match_body ? ", body" : "") + "\n";
    out += "  sandbox:  " + p.env_name + "=<proxy token>" +
           (p.aliases.empty() ? "" : " (also as " + joined(p.aliases) + ")") + "\n";
  }
  return out;
}

}  // namespace sr::egress
