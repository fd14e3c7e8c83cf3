#include "proxy/admin/canary.hpp"

#include <boost/beast/http/verb.hpp>

#include "util/digest.hpp"

namespace sr::proxy {
namespace {

// A concrete host for a rule: "*.openrouter.ai" -> "canary.openrouter.ai".
std::string concrete(const std::string& rule_host) {
  return rule_host.starts_with("*.") ? "canary" + rule_host.substr(1) : rule_host;
}

std::string token_in(const std::string& header, const std::string& token) {
  return header == "authorization" ? "Bearer " + token : token;
}

}  // namespace

nlohmann::json run_canary(const Rules& rules, const std::string& nonce) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : rules.config.secrets) {
    nlohmann::json r = {{"name", s.source_var}, {"swapped", false}};
    if (s.rule_hosts.empty() || s.match_headers.empty()) {
      out.push_back(r);
      continue;
    }
    std::string header = s.match_headers.front();
    for (auto& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string host = concrete(s.rule_hosts.front());
    RequestHead head;
    head.method(boost::beast::http::verb::get);
    head.target("/");
    head.set(header, token_in(header, s.proxy_value));
    auto outcome = rules.secrets.apply(head, host, nullptr);
    std::string sent(head[header]);
    if (header == "authorization" && sent.starts_with("Bearer ")) sent.erase(0, 7);
    r["host"] = host;
    r["swapped"] = outcome.decision == Decision::allow && sent != s.proxy_value && !sent.empty();
    if (r["swapped"].get<bool>()) r["value_hmac"] = util::hmac_sha256_hex(nonce, sent);
    out.push_back(r);
  }
  return {{"status", "ok"}, {"secrets", out}};
}

}  // namespace sr::proxy
