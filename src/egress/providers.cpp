#include "egress/providers.hpp"

#include <algorithm>
#include <array>

#include "util/add_unique.hpp"

namespace sr::egress {

namespace {

Carrier bearer() { return {CarrierKind::bearer, ""}; }
Carrier header(const char* name) { return {CarrierKind::header, name}; }

const std::vector<Provider>& table() {
  static const std::vector<Provider> t = {
      {"OPENROUTER_API_KEY", "openrouter", {"openrouter.ai", "*.openrouter.ai"}, {bearer()}, {}},
      {"OPENAI_API_KEY", "openai", {"api.openai.com"}, {bearer()}, {}},
      {"GROQ_API_KEY", "groq", {"api.groq.com"}, {bearer()}, {}},
      {"TOGETHER_API_KEY", "together", {"api.together.xyz"}, {bearer()}, {}},
      {"DEEPSEEK_API_KEY", "deepseek", {"api.deepseek.com"}, {bearer()}, {}},
      {"MISTRAL_API_KEY", "mistral", {"api.mistral.ai"}, {bearer()}, {}},
      {"XAI_API_KEY", "xai", {"api.x.ai"}, {bearer()}, {}},
      {"NOUS_API_KEY", "nous", {"inference.nousresearch.com"}, {bearer()}, {}},
      {"ANTHROPIC_API_KEY", "anthropic", {"api.anthropic.com"}, {header("x-api-key"), bearer()}, {}},
      {"AZURE_OPENAI_API_KEY",
       "azure-openai",
       {"*.openai.azure.com", "*.cognitiveservices.azure.com", "*.services.ai.azure.com"},
       {header("api-key"), bearer()},
       {}},
      {"GEMINI_API_KEY", "gemini", {"generativelanguage.googleapis.com"},
       {header("x-goog-api-key"), {CarrierKind::query, "key"}}, {"GOOGLE_API_KEY"}},
  };
  return t;
}

constexpr std::array<std::string_view, 3> kUncovered = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS"};

constexpr std::array<std::string_view, 11> kDefaultHosts = {
    "openrouter.ai",   "*.openrouter.ai", "api.openai.com",
    "api.anthropic.com", "generativelanguage.googleapis.com",
    "api.x.ai",        "api.mistral.ai",  "api.groq.com",
    "api.together.xyz", "api.deepseek.com", "inference.nousresearch.com"};

}  // namespace

std::span<const Provider> providers() { return table(); }

std::vector<std::string> match_headers(const Provider& p) {
  std::vector<std::string> out;
  for (const auto& c : p.carriers) {
    if (c.kind == CarrierKind::query) continue;
    util::add_unique(out, c.kind == CarrierKind::header ? c.name : std::string("Authorization"));
  }
  return out;
}

bool match_query(const Provider& p) {
  return std::any_of(p.carriers.begin(), p.carriers.end(),
                     [](const Carrier& c) { return c.kind == CarrierKind::query; });
}

std::string_view to_string(CarrierKind k) {
  switch (k) {
    case CarrierKind::bearer: return "bearer";
    case CarrierKind::header: return "header";
    case CarrierKind::query: return "query";
    case CarrierKind::basic: return "basic";
  }
  return "bearer";
}

std::string describe(const Carrier& c) {
  switch (c.kind) {
    case CarrierKind::bearer: return "bearer";
    case CarrierKind::header: return "header " + c.name;
    case CarrierKind::query: return "query " + c.name;
    case CarrierKind::basic: return "basic user " + c.name;
  }
  return "bearer";
}

const Provider* find_provider(std::string_view env_name, std::span<const Provider> table) {
  for (const auto& p : table) {
    if (p.env_name == env_name) return &p;
    for (auto a : p.aliases)
      if (a == env_name) return &p;
  }
  return nullptr;
}

std::span<const std::string_view> uncovered_env_names() { return kUncovered; }
std::span<const std::string_view> default_allowed_hosts() { return kDefaultHosts; }

std::vector<std::string_view> recognised_env_names() {
  std::vector<std::string_view> out;
  for (const auto& p : table()) {
    out.push_back(p.env_name);
    out.insert(out.end(), p.aliases.begin(), p.aliases.end());
  }
  return out;
}

}  // namespace sr::egress
