// mappings.json loading (egress/mappings). Properties beyond "no crash":
//  - errors name the source and never contain a proxy token;
//  - whatever loads serialises to a document that loads to the same
//    serialisation (the writer and the loader agree).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "egress/mappings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto m = sr::egress::parse_mappings(text, "fuzz.json");
  if (!m) {
    const std::string& msg = m.error().message;
    if (msg.rfind("fuzz.json", 0) != 0) std::abort();
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_object() && doc.contains("tokens") && doc["tokens"].is_array())
      for (const auto& t : doc["tokens"])
        if (t.is_object() && t.contains("proxy_token") && t["proxy_token"].is_string()) {
          auto tok = t["proxy_token"].get<std::string>();
          if (tok.size() >= 8 && msg.find(tok) != std::string::npos) std::abort();
        }
    return 0;
  }
  for (const auto& t : m->tokens) {
    if (t.proxy_token.empty() || t.env_name.empty()) std::abort();
    (void)sr::egress::redact_token(t.proxy_token);
  }
  const std::string out = sr::egress::serialize_mappings(*m);
  auto again = sr::egress::parse_mappings(out, "rendered.json");
  if (!again || sr::egress::serialize_mappings(*again) != out) std::abort();
  return 0;
}
