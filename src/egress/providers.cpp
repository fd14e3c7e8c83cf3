#include "egress/providers.hpp"

#include <array>

namespace sr::egress {

namespace {

const std::vector<Provider>& table() {
  static const std::vector<Provider> t = {
      {"OPENROUTER_API_KEY", "openrouter", {"openrouter.ai", "*.openrouter.ai"}, {"Authorization"}, false, {}},
      {"OPENAI_API_KEY", "openai", {"api.openai.com"}, {"Authorization"}, false, {}},
      {"GROQ_API_KEY", "groq", {"api.groq.com"}, {"Authorization"}, false, {}},
      {"TOGETHER_API_KEY", "together", {"api.together.xyz"}, {"Authorization"}, false, {}},
      {"DEEPSEEK_API_KEY", "deepseek", {"api.deepseek.com"}, {"Authorization"}, false, {}},
      {"MISTRAL_API_KEY", "mistral", {"api.mistral.ai"}, {"Authorization"}, false, {}},
      {"XAI_API_KEY", "xai", {"api.x.ai"}, {"Authorization"}, false, {}},
      {"NOUS_API_KEY", "nous", {"inference.nousresearch.com"}, {"Authorization"}, false, {}},
      {"ANTHROPIC_API_KEY", "anthropic", {"api.anthropic.com"}, {"x-api-key", "Authorization"}, false, {}},
      {"AZURE_OPENAI_API_KEY",
       "azure-openai",
       {"*.openai.azure.com", "*.cognitiveservices.azure.com", "*.services.ai.azure.com"},
       {"api-key", "Authorization"},
       false,
       {}},
      {"GEMINI_API_KEY", "gemini", {"generativelanguage.googleapis.com"}, {"x-goog-api-key"}, true,
       {"GOOGLE_API_KEY"}},
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

const Provider* find_provider(std::string_view env_name) {
  for (const auto& p : table()) {
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
