// The request gate over a generated table: versions x methods x framings x
// target forms x Host variants x listeners. Each dimension states its own
// outcome; a row's expected outcome is the first refusal in the gate's
// documented check order (gate.hpp): syntax, CONNECT, framing, target, Host,
// allowlist. Every accepted row is also checked for the canonical form and
// gated again (tunnel listeners) to prove the output is a fixed point.
#include "gate_fixture.hpp"

#include <sstream>

#include "proxy/policy/host_match.hpp"

namespace {

using namespace gate_test;

constexpr unsigned kOk = 0;

struct MethodCase { std::string method; unsigned status; };
struct FramingCase {
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;
  unsigned status;  // for HTTP/1.1
  BodyPlan plan;
  std::uint64_t length;
  bool te;          // uses Transfer-Encoding (400 in HTTP/1.0 when otherwise valid)
};
struct TargetCase {
  std::string target;
  unsigned forward, plain, tls;  // per listener
  std::string host;              // effective host when accepted by the target check
  std::string origin;            // the origin-form sent upstream
};
struct HostCase {
  std::string name;
  std::vector<std::string> values;  // Host fields
  std::string normalized;           // "" when not a host name
};

const std::vector<MethodCase> kMethods{{"GET", kOk},     {"POST", kOk},  {"HEAD", kOk},    {"OPTIONS", kOk},
                                       {"DELETE", kOk},  {"PATCH", kOk}, {"CONNECT", 405}, {"G(T", 400}};

const std::vector<FramingCase> kFramings{
    {"none", {}, kOk, BodyPlan::none, 0, false},
    {"cl0", {{"Content-Length", "0"}}, kOk, BodyPlan::length, 0, false},
    {"cl5", {{"Content-Length", "5"}}, kOk, BodyPlan::length, 5, false},
    {"cl-padded", {{"content-length", " 7 "}}, kOk, BodyPlan::length, 7, false},
    {"cl-dup-equal", {{"Content-Length", "5"}, {"Content-Length", "5"}}, 400, BodyPlan::none, 0, false},
    {"cl-dup-differ", {{"Content-Length", "5"}, {"content-length", "6"}}, 400, BodyPlan::none, 0, false},
    {"cl-list", {{"Content-Length", "5, 5"}}, 400, BodyPlan::none, 0, false},
    {"cl-sign", {{"Content-Length", "+5"}}, 400, BodyPlan::none, 0, false},
    {"cl-empty", {{"Content-Length", ""}}, 400, BodyPlan::none, 0, false},
    {"cl-hex", {{"Content-Length", "0x5"}}, 400, BodyPlan::none, 0, false},
    {"cl-20-digits", {{"Content-Length", "99999999999999999999"}}, 400, BodyPlan::none, 0, false},
    {"te-chunked", {{"Transfer-Encoding", "chunked"}}, kOk, BodyPlan::chunked, 0, true},
    {"te-case", {{"transfer-encoding", "ChUnKeD"}}, kOk, BodyPlan::chunked, 0, true},
    {"te-list", {{"Transfer-Encoding", "gzip, chunked"}}, 501, BodyPlan::none, 0, true},
    {"te-not-last", {{"Transfer-Encoding", "chunked, gzip"}}, 501, BodyPlan::none, 0, true},
    {"te-twice-in-list", {{"Transfer-Encoding", "chunked, chunked"}}, 501, BodyPlan::none, 0, true},
    {"te-dup-field", {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}, 501, BodyPlan::none, 0, true},
    {"te-empty", {{"Transfer-Encoding", ""}}, 501, BodyPlan::none, 0, true},
    {"te-identity", {{"Transfer-Encoding", "identity"}}, 501, BodyPlan::none, 0, true},
    {"te-trailing-comma", {{"Transfer-Encoding", "chunked,"}}, 501, BodyPlan::none, 0, true},
    {"te-and-cl", {{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}, 400, BodyPlan::none, 0, true},
    {"cl-and-te", {{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}, 400, BodyPlan::none, 0, true},
};

// Listeners: forward; plain tunnel to api.openai.com:80; TLS tunnel to api.openai.com:443.
const std::vector<TargetCase> kTargets{
    {"/v1/models?x=1", 400, kOk, kOk, "api.openai.com", "/v1/models?x=1"},
    {"http://api.openai.com/v1/x", kOk, kOk, 403, "api.openai.com", "/v1/x"},
    {"http://API.OpenAI.com.:80/v1", kOk, kOk, 403, "api.openai.com", "/v1"},
    {"http://api.openai.com?q=1", kOk, kOk, 403, "api.openai.com", "/?q=1"},
    {"https://api.openai.com/v1", 400, 403, kOk, "api.openai.com", "/v1"},
    {"HTTPS://api.openai.com:443", 400, 403, kOk, "api.openai.com", "/"},
    {"wss://api.openai.com/ws", 400, 403, kOk, "api.openai.com", "/ws"},
    {"gopher://api.openai.com:443/x", 400, 403, kOk, "api.openai.com", "/x"},
    {"ftp://api.openai.com/", 400, 400, 400, "", ""},
    {"http://evil.test/x", kOk, 403, 403, "evil.test", "/x"},
    {"http://echo.test/x", kOk, 403, 403, "echo.test", "/x"},
    {"http://[::1]/", kOk, 403, 403, "::1", "/"},
    {"https://api.openai.com:8443/", 400, 403, 403, "", ""},
    {"http://user@api.openai.com/", 400, 400, 400, "", ""},
    {"http:///x", 400, 400, 400, "", ""},
    {"/a#frag", 400, 400, 400, "", ""},
    {"api.openai.com/x", 400, 400, 400, "", ""},
    {"*", 400, kOk, kOk, "api.openai.com", "*"},
};

const std::vector<HostCase> kHosts{
    {"exact", {"api.openai.com"}, "api.openai.com"},
    {"case-dot", {"API.OpenAI.com."}, "api.openai.com"},
    {"port", {"api.openai.com:443"}, "api.openai.com"},
    {"none", {}, ""},
    {"dup", {"api.openai.com", "api.openai.com"}, ""},
    {"other", {"evil.test"}, "evil.test"},
    {"echo", {"echo.test"}, "echo.test"},
    {"empty", {""}, ""},
    {"list", {"api.openai.com, evil.test"}, ""},
};

unsigned host_status(const HostCase& h, const std::string& effective, unsigned version) {
  if (h.values.empty()) return version == 11 ? 400 : kOk;
  if (h.values.size() > 1 || h.normalized.empty()) return 400;
  return h.normalized == effective ? kOk : 403;
}

struct Listening {
  std::string name;
  ConnContext ctx;
  unsigned TargetCase::*status;
};

std::string describe(const Head& h, const std::string& mode) {
  std::ostringstream o;
  o << mode << ": " << h.method << " " << h.target << " HTTP/" << h.version / 10 << "." << h.version % 10;
  for (const auto& [n, v] : h.fields) o << " | " << n << ": " << v;
  return o.str();
}

// The canonical form of an accepted row.
std::string canonical_problem(const CanonicalRequest& out, const Head& in, const FramingCase& fr,
                              const TargetCase& t) {
  const auto& h = out.head;
  if (h.version() != 11) return "version";
  if (std::string(h.method_string()) != in.method) return "method";
  if (std::string(h.target()) != t.origin) return "target " + std::string(h.target());
  if (count(h, "host") != 1 || value(h, "host") != host_field(out.target)) return "Host";
  if (out.target.host != t.host) return "effective host";
  if (out.body != fr.plan) return "body plan";
  if (count(h, "expect") || count(h, "connection") || count(h, "te")) return "hop field";
  if (fr.plan == BodyPlan::chunked &&
      (count(h, "transfer-encoding") != 1 || value(h, "transfer-encoding") != "chunked" || count(h, "content-length")))
    return "chunked framing";
  if (fr.plan == BodyPlan::length &&
      (count(h, "content-length") != 1 || value(h, "content-length") != std::to_string(fr.length) ||
       count(h, "transfer-encoding")))
    return "length framing";
  if (fr.plan == BodyPlan::none && (count(h, "content-length") || count(h, "transfer-encoding"))) return "framing";
  if (out.guarded != (out.target.host == "api.openai.com")) return "guarded";
  return {};
}

}  // namespace

TEST_CASE("gate: generated table of heads, listeners and outcomes", "[gate]") {
  auto rules = make_rules();
  const std::vector<Listening> listeners{{"forward", forward(), &TargetCase::forward},
                                         {"tunnel_plain", tunnel_plain(), &TargetCase::plain},
                                         {"tunnel_tls", tunnel_tls(), &TargetCase::tls}};
  std::size_t rows = 0, accepted = 0, fixed_points = 0;
  std::vector<std::string> failures;
  for (unsigned version : {10u, 11u})
    for (const auto& m : kMethods)
      for (const auto& fr : kFramings)
        for (const auto& t : kTargets)
          for (const auto& hc : kHosts)
            for (const auto& l : listeners) {
              Head in;
              in.method = m.method;
              in.target = t.target;
              in.version = version;
              for (const auto& v : hc.values) in.fields.emplace_back("Host", v);
              in.fields.emplace_back("User-Agent", "table/1");
              for (const auto& f : fr.fields) in.fields.push_back(f);
              unsigned framing = fr.status;
              if (framing == kOk && fr.te && version == 10) framing = 400;
              unsigned target = t.*(l.status);
              if (target == kOk && t.target == "*" && m.method != "OPTIONS") target = 400;
              // Origin-form on the forward listener (a redirected port-80
              // connection) takes its authority from its one Host field.
              TargetCase eff = t;
              if (l.ctx.listener == Listener::forward && t.target.starts_with('/') && t.target != "/a#frag" &&
                  !hc.values.empty()) {
                target = hc.values.size() > 1 || hc.normalized.empty() ? 400 : kOk;
                eff.host = hc.normalized;
              }
              unsigned expected = m.status != kOk ? m.status : framing != kOk ? framing : target;
              if (expected == kOk) expected = host_status(hc, eff.host, version);
              if (expected == kOk && eff.host != "api.openai.com" && eff.host != "echo.test") expected = 403;
              ++rows;
              auto verdict = check_request(in.view(), l.ctx, *rules);
              unsigned got = verdict ? kOk : verdict.error().status;
              if (got != expected) {
                failures.push_back(describe(in, l.name) + " -> " + std::to_string(got) + ", expected " +
                                   std::to_string(expected) + (verdict ? "" : " (" + verdict.error().reason + ")"));
                continue;
              }
              if (!verdict) continue;
              ++accepted;
              if (auto problem = canonical_problem(*verdict, in, fr, eff); !problem.empty()) {
                failures.push_back(describe(in, l.name) + ": canonical form: " + problem);
                continue;
              }
              if (l.ctx.listener == Listener::forward) continue;
              // Gated again, the canonical head comes out unchanged.
              Head again;
              again.method = std::string(verdict->head.method_string());
              again.target = std::string(verdict->head.target());
              again.fields = fields_of(verdict->head);
              auto second = check_request(again.view(), l.ctx, *rules);
              if (!second || fields_of(second->head) != again.fields ||
                  std::string(second->head.target()) != again.target) {
                failures.push_back(describe(in, l.name) + ": not a fixed point");
                continue;
              }
              ++fixed_points;
            }
  INFO(rows << " rows, " << accepted << " accepted, " << fixed_points << " fixed points");
  for (std::size_t i = 0; i < failures.size() && i < 20; ++i) UNSCOPED_INFO(failures[i]);
  CHECK(failures.size() == 0);
  CHECK(rows > 100000);
  CHECK(accepted > 1000);
  CHECK(fixed_points > 500);
}

TEST_CASE("gate: versions other than 1.0 and 1.1 get 505 and close", "[gate]") {
  auto rules = make_rules();
  for (unsigned v : {0u, 9u, 12u, 20u, 30u}) {
    Head in;
    in.version = v;
    in.fields = {{"Host", "api.openai.com"}};
    auto verdict = check_request(in.view(), tunnel_tls(), *rules);
    REQUIRE_FALSE(verdict);
    CHECK(verdict.error().status == 505);
    CHECK(verdict.error().close);
  }
}
