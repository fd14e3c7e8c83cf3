#include "egress/doc_tables.hpp"

#include "egress/presets.hpp"
#include "egress/providers.hpp"

namespace sr::egress {
namespace {

std::string code_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "`" : ", `") + s + "`";
  return out.empty() ? "—" : out;
}

std::string carriers(const Provider& p) {
  std::vector<std::string> out;
  for (const auto& c : p.carriers) out.push_back(describe(c));
  std::string text;
  for (const auto& s : out) text += (text.empty() ? "" : ", ") + s;
  return text;
}

}  // namespace

std::string providers_markdown() {
  std::string out = "| variable | also read from | hosts | carried as |\n|---|---|---|---|\n";
  for (const auto& p : providers())
    out += "| `" + p.env_name + "` | " + code_list(p.aliases) + " | " + code_list(p.hosts) + " | " + carriers(p) +
           " |\n";
  return out;
}

std::string presets_markdown() {
  std::string out = "| preset | for | hosts | credential |\n|---|---|---|---|\n";
  for (const auto& p : builtin_presets()) {
    std::string cred = "—";
    if (p.credential) {
      std::vector<std::string> names{p.credential->env_name};
      names.insert(names.end(), p.credential->aliases.begin(), p.credential->aliases.end());
      cred = code_list(names) + " as " + carriers(*p.credential) + " on " + code_list(p.credential->hosts);
    }
    out += "| `" + p.name + "` | " + p.summary + " | " + code_list(p.hosts) + " | " + cred + " |\n";
  }
  return out;
}

}  // namespace sr::egress
