// Request head handling: bytes -> Beast's request parser -> the secrets
// module -> the audit line. Properties beyond "no crash":
//  - a request allowed towards host H carries no proxy token H may not get;
//  - reasons and audit lines never contain a token or a real value.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/admin/audit.hpp"
#include "proxy/policy/secrets.hpp"

namespace http = boost::beast::http;

namespace {

const std::string kTokA = "openai-00112233445566778899aabbccddeeff";
const std::string kValA = "sk-real-A+/=&";
const std::string kTokB = "anthropic-ffeeddccbbaa99887766554433221100";
const std::string kValB = "sk-ant-real-B";

const sr::proxy::SecretSet& secrets() {
  static const sr::proxy::SecretSet set = [] {
    sr::proxyconf::Secret a;
    a.source_var = "OPENAI_API_KEY";
    a.proxy_value = kTokA;
    a.match_headers = {"authorization"};
    a.match_query = true;
    a.match_path = true;
    a.rule_hosts = {"api.openai.com"};
    sr::proxyconf::Secret b;
    b.source_var = "ANTHROPIC_API_KEY";
    b.proxy_value = kTokB;
    b.match_headers = {"x-api-key", "authorization"};
    b.match_body = true;
    b.require = true;
    b.rule_hosts = {"*.anthropic.com"};
    auto s = sr::proxy::SecretSet::create({a, b}, [](std::string_view name) -> std::optional<std::string> {
      return name == "OPENAI_API_KEY" ? kValA : kValB;
    });
    if (!s) std::abort();
    return std::move(*s);
  }();
  return set;
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

bool carries(const sr::proxy::RequestHead& h, const std::string* body, std::string_view token) {
  if (contains({h.target().data(), h.target().size()}, token)) return true;
  for (const auto& f : h)
    if (contains({f.value().data(), f.value().size()}, token) ||
        contains({f.name_string().data(), f.name_string().size()}, token))
      return true;
  return body && contains(*body, token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* kHosts[] = {"api.openai.com", "x.anthropic.com", "evil.example", "anthropic.com"};
  std::string host = kHosts[data[0] % 4];
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (!parser.is_header_done()) return 0;
  auto& req = parser.get();
  std::string* body = parser.is_done() ? &req.body() : nullptr;

  const auto& set = secrets();
  auto out = set.apply(req, host, body);
  for (const auto& s : {kTokA, kValA, kTokB, kValB})
    if (contains(out.reason, s)) std::abort();
  if (out.decision == sr::proxy::Decision::allow) {
    // Raw tokens (not re-encoded forms, see secrets.hpp) towards a host
    // their rules do not cover must have been refused.
    if (host != "api.openai.com" && carries(req, body, kTokA)) std::abort();
    if (host != "x.anthropic.com" && carries(req, body, kTokB)) std::abort();
  }

  sr::proxy::AuditRecord record;
  record.method = std::string(req.method_string());
  record.host = host;
  record.target = std::string(req.target());
  record.reason = out.reason;
  record.secrets_swapped = out.swapped;
  std::string line = sr::proxy::AuditLog::format(record, &set);
  for (const auto& s : {kTokA, kValA, kTokB, kValB})
    if (contains(line, s)) std::abort();
  return 0;
}
