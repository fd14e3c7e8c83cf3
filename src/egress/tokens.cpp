#include "egress/tokens.hpp"

#include <algorithm>

#include "util/atomic_file.hpp"
#include "util/random.hpp"

namespace sr::egress {

util::Result<std::string> mint_token(std::string_view prefix) {
  SR_ASSIGN(std::string hex, util::random_hex(16));
  return std::string(prefix) + "-" + hex;
}

util::Result<Mappings> reconcile(const Mappings& existing, const Discovery& found,
                                 TokenPolicy policy, ReconcileReport& report) {
  Mappings out;
  for (const auto& f : found.found) {
    const Provider& p = *f.provider;
    Mapping m;
    m.env_name = p.env_name;
    m.upstream_hosts = p.hosts;
    m.match_headers = match_headers(p);
    m.alias_env_names.assign(p.aliases.begin(), p.aliases.end());
    auto old = std::find_if(existing.tokens.begin(), existing.tokens.end(),
                            [&](const Mapping& e) { return e.env_name == m.env_name; });
    if (policy == TokenPolicy::keep_existing && old != existing.tokens.end()) {
      m.proxy_token = old->proxy_token;
      report.kept.push_back(m.env_name);
    } else {
      SR_ASSIGN(m.proxy_token, mint_token(p.token_prefix));
      report.minted.push_back(m.env_name);
    }
    out.tokens.push_back(std::move(m));
  }
  for (const auto& e : existing.tokens) {
    bool still = std::any_of(out.tokens.begin(), out.tokens.end(),
                             [&](const Mapping& m) { return m.env_name == e.env_name; });
    if (!still) report.dropped.push_back(e.env_name);
  }
  return out;
}

util::Result<std::string> ensure_management_token(const std::filesystem::path& path) {
  auto text = util::read_file_nofollow(path);
  if (text) {
    std::string t = *text;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    if (t.size() >= 32 && t.find_first_not_of("0123456789abcdef") == std::string::npos) return t;
  } else if (text.error().kind != util::ErrorKind::not_found) {
    return std::unexpected(std::move(text.error()).context("reading the management token"));
  }
  SR_ASSIGN(std::string token, util::random_hex(32));
  SR_TRY(util::with_context(util::write_file_atomic(path, token + "\n", 0600),
                            "writing the management token"));
  return token;
}

}  // namespace sr::egress
