#include "egress/mappings.hpp"

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"

namespace sr::egress {

namespace {

using nlohmann::json;

util::Result<std::vector<std::string>> string_list(const json& entry, const char* key,
                                                   const std::string& where) {
  std::vector<std::string> out;
  auto it = entry.find(key);
  if (it == entry.end()) return out;
  if (!it->is_array())
    return util::fail(util::ErrorKind::invalid_argument, where + ": \"" + key + "\" is not an array");
  for (const auto& v : *it) {
    if (!v.is_string())
      return util::fail(util::ErrorKind::invalid_argument,
                        where + ": \"" + key + "\" holds a non-string element");
    out.push_back(v.get<std::string>());
  }
  return out;
}

util::Result<Mapping> parse_entry(const json& e, const std::string& where) {
  if (!e.is_object())
    return util::fail(util::ErrorKind::invalid_argument, where + ": not an object");
  Mapping m;
  for (const char* key : {"proxy_token", "env_name"}) {
    auto it = e.find(key);
    if (it == e.end() || !it->is_string() || it->get<std::string>().empty())
      return util::fail(util::ErrorKind::invalid_argument,
                        where + ": \"" + key + "\" is missing or not a non-empty string");
  }
  m.proxy_token = e["proxy_token"].get<std::string>();
  m.env_name = e["env_name"].get<std::string>();
  SR_ASSIGN(m.upstream_hosts, string_list(e, "upstream_hosts", where));
  SR_ASSIGN(m.match_headers, string_list(e, "match_headers", where));
  SR_ASSIGN(m.alias_env_names, string_list(e, "alias_env_names", where));
  return m;
}

}  // namespace

util::Result<Mappings> parse_mappings(const std::string& text, const std::string& source_name) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) {
    return util::fail(util::ErrorKind::invalid_argument,
                      source_name + " is corrupt: " + what +
                          " (re-run 'sandbox-egress setup --rotate-tokens' to recreate it)");
  };
  if (doc.is_discarded()) return bad("not valid JSON");
  if (!doc.is_object()) return bad("top level is not an object");
  if (auto v = doc.find("version"); v == doc.end() || !v->is_number_integer() || *v != 1)
    return bad("\"version\" is missing or not 1");
  auto toks = doc.find("tokens");
  if (toks == doc.end() || !toks->is_array()) return bad("\"tokens\" is missing or not an array");
  Mappings out;
  for (size_t i = 0; i < toks->size(); ++i) {
    auto entry = parse_entry((*toks)[i], "tokens[" + std::to_string(i) + "]");
    if (!entry) return bad(entry.error().message);
    out.tokens.push_back(std::move(*entry));
  }
  return out;
}

std::string serialize_mappings(const Mappings& m) {
  json toks = json::array();
  for (const auto& t : m.tokens) {
    toks.push_back(json{{"proxy_token", t.proxy_token},
                        {"env_name", t.env_name},
                        {"upstream_hosts", t.upstream_hosts},
                        {"match_headers", t.match_headers},
                        {"alias_env_names", t.alias_env_names}});
  }
  json doc = {{"version", 1}, {"tokens", toks}};
  return doc.dump(2) + "\n";
}

util::Result<Mappings> load_mappings(const std::filesystem::path& path) {
  auto text = util::read_file_nofollow(path);
  if (!text) {
    if (text.error().kind == util::ErrorKind::not_found) return Mappings{};
    return std::unexpected(std::move(text.error()).context("loading mappings"));
  }
  return parse_mappings(*text, path.string());
}

util::Result<void> save_mappings(const std::filesystem::path& path, const Mappings& m) {
  return util::with_context(util::write_file_atomic(path, serialize_mappings(m), 0600),
                            "saving mappings");
}

std::string redact_token(const std::string& token) {
  if (token.size() <= 16) return std::string(token.size(), '*');
  return token.substr(0, 12) + "\u2026" + token.substr(token.size() - 4);
}

}  // namespace sr::egress
