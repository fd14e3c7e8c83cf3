// Drives the request gate the way the engine does, without sockets: raw
// bytes -> the raw-head check -> Beast's request parser -> check_request ->
// (body read, complete_body) -> the bytes the engine writes upstream (Beast's
// serialisation of the gate's head, the body framed per the gate's plan).
// Shared by fuzz_gate.cpp (invariants) and gate_corpus_tool.cpp (corpus
// replay in the test suite, and the differential check against h11).
//
// Input layout: byte 0 picks the listener and the tunnel's host, the rest is
// what the client sends.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "proxy/policy/gate.hpp"

namespace gate_harness {

namespace http = boost::beast::http;
using namespace sr::proxy::policy;

inline const std::string kTokA = "openai-00112233445566778899aabbccddeeff";
inline const std::string kValA = "sk-real-A+/=&";
inline const std::string kTokB = "anthropic-ffeeddccbbaa99887766554433221100";
inline const std::string kValB = "sk-ant-real-B";

// OPENAI_API_KEY: Authorization, query and path towards api.openai.com;
// ANTHROPIC_API_KEY: x-api-key and the body towards api.anthropic.com.
inline const sr::proxy::Rules& rules() {
  static const std::shared_ptr<const sr::proxy::Rules> r = [] {
    auto rules = std::make_shared<sr::proxy::Rules>();
    auto allow = sr::proxy::HostMatcher::create({"api.openai.com", "api.anthropic.com", "echo.test", "*.allowed.test"});
    if (!allow) std::abort();
    rules->allowlist = std::move(*allow);
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
    b.match_headers = {"x-api-key"};
    b.match_body = true;
    b.rule_hosts = {"api.anthropic.com"};
    auto set = sr::proxy::SecretSet::create({a, b}, [](std::string_view name) -> std::optional<std::string> {
      return name == "OPENAI_API_KEY" ? kValA : kValB;
    });
    if (!set) std::abort();
    rules->secrets = std::move(*set);
    rules->config.max_request_body_bytes = 64 * 1024;
    rules->scrub = std::make_shared<const sr::proxy::ScrubRules>(std::vector<sr::proxy::Replacement>{});
    return rules;
  }();
  return *r;
}

inline ConnContext context_for(unsigned char selector) {
  static const char* hosts[] = {"api.openai.com", "api.anthropic.com", "echo.test"};
  const char* host = hosts[(selector / 4) % 3];
  switch (selector % 4) {
    case 0: return ConnContext{Listener::forward, {}, UpstreamLeg::plain};
    case 1: return ConnContext{Listener::tunnel_plain, Authority{host, 80, false}, UpstreamLeg::plain};
    case 2: return ConnContext{Listener::tunnel_tls, Authority{host, 443, true}, UpstreamLeg::tls_verified};
    default: return ConnContext{Listener::transparent_tls, Authority{host, 8443, true}, UpstreamLeg::tls_verified};
  }
}

enum class Stage { incomplete, refused, forwarded };

struct Result {
  Stage stage = Stage::incomplete;
  ConnContext ctx;
  std::optional<CanonicalRequest> request;
  std::optional<Refusal> refusal;
  std::string head;  // the bytes of the head written upstream
  std::string body;  // the body as the upstream gets it (decoded)
  std::string wire;  // head + body framed per the plan: all that is written upstream
};

inline std::string serialize(const UpstreamHead& head) {
  std::ostringstream out;
  out << head;
  return out.str();
}

inline std::string frame(const CanonicalRequest& req, const std::string& body) {
  if (req.body != BodyPlan::chunked) return body;
  std::ostringstream out;
  if (!body.empty()) out << std::hex << body.size() << "\r\n" << body << "\r\n";
  out << "0\r\n\r\n";
  return out.str();
}

inline RequestHead view_of(const http::request_header<>& req) {
  RequestHead h{{req.method_string().data(), req.method_string().size()},
                {req.target().data(), req.target().size()},
                req.version(),
                {}};
  for (const auto& f : req)
    h.fields.push_back({{f.name_string().data(), f.name_string().size()}, {f.value().data(), f.value().size()}});
  return h;
}

// Runs one client request (the rest of the input is ignored after it).
inline Result run(std::string_view input) {
  Result r;
  if (input.empty()) return r;
  r.ctx = context_for(static_cast<unsigned char>(input[0]));
  std::string_view raw = input.substr(1);
  std::size_t end = raw.find("\r\n\r\n");
  if (end == std::string_view::npos) return r;
  if (auto refusal = check_raw_head(raw.substr(0, end))) {
    r.stage = Stage::refused;
    r.refusal = std::move(refusal);
    return r;
  }
  http::request_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(1024 * 1024);
  boost::system::error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(raw.data(), raw.size()), ec);
  if (ec || !parser.is_header_done()) {
    r.stage = Stage::refused;  // the engine answers 400 and closes
    return r;
  }
  auto verdict = check_request(view_of(parser.get()), r.ctx, rules());
  if (!verdict) {
    r.stage = Stage::refused;
    r.refusal = std::move(verdict.error());
    return r;
  }
  // The body, read decoded by the same parser (chunk extensions and trailers
  // stay in the parser).
  while (!parser.is_done() && used < raw.size()) {
    std::size_t n = parser.put(boost::asio::buffer(raw.data() + used, raw.size() - used), ec);
    if (ec == http::error::need_more && n == 0) break;
    if (ec && ec != http::error::need_more) return r;
    used += n;
  }
  if (!parser.is_done()) {
    ec = {};
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return r;  // the body never ended: nothing complete goes out
  }
  r.body = parser.get().body();
  if (verdict->body == BodyPlan::whole) {
    if (auto refusal = complete_body(*verdict, r.ctx, rules(), r.body)) {
      r.stage = Stage::refused;
      r.refusal = std::move(refusal);
      return r;
    }
  }
  r.head = serialize(verdict->head);
  r.wire = r.head + frame(*verdict, r.body);
  r.request = std::move(*verdict);
  r.stage = Stage::forwarded;
  return r;
}

}  // namespace gate_harness
