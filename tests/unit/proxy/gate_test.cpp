// The request gate's rules one by one: secrets and cleartext, routing
// overrides, hop-by-hop fields, upgrades, Expect, body swaps, the response
// side and the raw-head check. The generated table is gate_table_test.cpp.
#include "gate_fixture.hpp"

namespace {

using namespace gate_test;

Head get(std::string target, std::vector<std::pair<std::string, std::string>> fields) {
  Head h;
  h.target = std::move(target);
  h.fields = std::move(fields);
  return h;
}

}  // namespace

TEST_CASE("gate: a real value only on a verified TLS leg", "[gate]") {
  auto rules = make_rules();
  auto bearer = std::pair<std::string, std::string>{"Authorization", "Bearer " + kToken};
  SECTION("TLS tunnel: swapped") {
    auto v = check_request(get("/v1/models", {{"Host", "api.openai.com"}, bearer}).view(), tunnel_tls(), *rules);
    REQUIRE(v);
    CHECK(value(v->head, "authorization") == "Bearer " + kValue);
    CHECK(v->swapped == std::vector<std::string>{"OPENAI_API_KEY"});
  }
  SECTION("plain tunnel: 403 naming https, nothing sent") {
    auto v = check_request(get("/v1/models", {{"Host", "api.openai.com"}, bearer}).view(), tunnel_plain(), *rules);
    REQUIRE_FALSE(v);
    CHECK(v.error().status == 403);
    CHECK(v.error().reason.find("use https") != std::string::npos);
    CHECK(v.error().reason.find(kValue) == std::string::npos);
    CHECK(v.error().body.find(kToken) == std::string::npos);
  }
  SECTION("forward http://: 403") {
    auto v = check_request(get("http://api.openai.com/v1", {{"Host", "api.openai.com"}, bearer}).view(), forward(), *rules);
    REQUIRE_FALSE(v);
    CHECK(v.error().status == 403);
    CHECK(v.error().reason.find("plain HTTP") != std::string::npos);
  }
  SECTION("plain HTTP without a token still works, to any allowed host") {
    CHECK(check_request(get("http://api.openai.com/v1", {{"Host", "api.openai.com"}}).view(), forward(), *rules));
    CHECK(check_request(get("http://echo.test/", {{"Host", "echo.test"}}).view(), forward(), *rules));
    CHECK(check_request(get("/", {{"Host", "api.openai.com"}}).view(), tunnel_plain(), *rules));
  }
  SECTION("a token towards another host: 403, plain or TLS") {
    auto v = check_request(get("http://echo.test/", {{"Host", "echo.test"}, bearer}).view(), forward(), *rules);
    REQUIRE_FALSE(v);
    CHECK(v.error().reason.find("sent to host echo.test") != std::string::npos);
    auto t = check_request(get("/", {{"Host", "echo.test"}, bearer}).view(), tunnel_tls("echo.test"), *rules);
    REQUIRE_FALSE(t);
    CHECK(t.error().status == 403);
  }
  SECTION("a token in an absolute-form target naming another authority is refused before any swap") {
    auto v = check_request(get("https://echo.test/", {{"Host", "api.openai.com"}, bearer}).view(), tunnel_tls(), *rules);
    REQUIRE_FALSE(v);
    CHECK(v.error().reason == "absolute-form target names another authority than the tunnel");
  }
  SECTION("WebSocket frames are swapped only on the TLS leg") {
    std::vector<std::pair<std::string, std::string>> ws{
        {"Host", "api.anthropic.com"}, {"Upgrade", "websocket"}, {"Connection", "Upgrade"}};
    auto tls = check_request(get("/ws", ws).view(), tunnel_tls("api.anthropic.com"), *rules);
    REQUIRE(tls);
    CHECK(tls->upgrade);
    CHECK(tls->swap_frames);
    auto plain = check_request(get("/ws", ws).view(), tunnel_plain("api.anthropic.com"), *rules);
    REQUIRE(plain);
    CHECK(plain->upgrade);
    CHECK_FALSE(plain->swap_frames);
  }
}

TEST_CASE("gate: routing overrides are removed towards hosts with secrets mapped", "[gate]") {
  auto rules = make_rules();
  std::vector<std::pair<std::string, std::string>> fields{{"Host", "api.openai.com"}};
  for (auto name : routing_overrides()) fields.emplace_back(std::string(name), "evil.test");
  fields.emplace_back("X-Forwarded-Host", "evil.test");
  fields.emplace_back("x-original-URL", "/admin");
  SECTION("guarded host: all removed") {
    auto v = check_request(get("/", fields).view(), tunnel_tls(), *rules);
    REQUIRE(v);
    for (const auto& [n, val] : fields_of(v->head)) {
      INFO(n);
      CHECK(val.find("evil.test") == std::string::npos);
      CHECK(val != "/admin");
    }
  }
  SECTION("host without secrets: kept") {
    fields[0].second = "echo.test";
    auto v = check_request(get("/", fields).view(), tunnel_tls("echo.test"), *rules);
    REQUIRE(v);
    CHECK(count(v->head, "x-forwarded-host") == 2);
    CHECK(count(v->head, "forwarded") == 1);
  }
}

TEST_CASE("gate: hop-by-hop fields and those Connection names are not forwarded", "[gate]") {
  auto rules = make_rules();
  auto v = check_request(get("/", {{"Host", "echo.test"},
                                   {"Connection", "keep-alive, X-Secret-Hop"},
                                   {"X-Secret-Hop", "1"},
                                   {"Keep-Alive", "timeout=5"},
                                   {"Proxy-Connection", "keep-alive"},
                                   {"Proxy-Authorization", "Basic eDp5"},
                                   {"TE", "trailers"},
                                   {"Trailer", "X-After"},
                                   {"Upgrade", "h2c"},
                                   {"HTTP2-Settings", "AAMAAABkAAQAAP__"},
                                   {"X-Kept", "yes"}})
                             .view(),
                         tunnel_tls("echo.test"), *rules);
  REQUIRE(v);
  CHECK_FALSE(v->upgrade);
  auto fields = fields_of(v->head);
  REQUIRE(fields.size() == 2);
  CHECK(fields[0] == std::pair<std::string, std::string>{"Host", "echo.test"});
  CHECK(fields[1] == std::pair<std::string, std::string>{"X-Kept", "yes"});
}

TEST_CASE("gate: WebSocket upgrades", "[gate]") {
  auto rules = make_rules();
  std::vector<std::pair<std::string, std::string>> ws{{"Host", "api.openai.com"},
                                                      {"Upgrade", "websocket, h2c"},
                                                      {"Connection", "keep-alive, Upgrade"},
                                                      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                                      {"Sec-WebSocket-Extensions", "permessage-deflate"}};
  auto v = check_request(get("/ws", ws).view(), tunnel_tls(), *rules);
  REQUIRE(v);
  CHECK(v->upgrade);
  CHECK(value(v->head, "upgrade") == "websocket");
  CHECK(value(v->head, "connection") == "Upgrade");
  CHECK(count(v->head, "sec-websocket-extensions") == 0);  // guarded: no compression
  SECTION("not for a request with a body or another method") {
    auto post = get("/ws", ws);
    post.method = "POST";
    auto p = check_request(post.view(), tunnel_tls(), *rules);
    REQUIRE(p);
    CHECK_FALSE(p->upgrade);
    CHECK(count(p->head, "upgrade") == 0);
  }
  SECTION("extensions offered where no secret is mapped") {
    ws[0].second = "echo.test";
    auto e = check_request(get("/ws", ws).view(), tunnel_tls("echo.test"), *rules);
    REQUIRE(e);
    CHECK(count(e->head, "sec-websocket-extensions") == 1);
  }
}

TEST_CASE("gate: Expect", "[gate]") {
  auto rules = make_rules();
  auto post = get("/", {{"Host", "echo.test"}, {"Content-Length", "3"}, {"Expect", "100-Continue"}});
  post.method = "POST";
  auto v = check_request(post.view(), tunnel_tls("echo.test"), *rules);
  REQUIRE(v);
  CHECK(v->expect_continue);
  CHECK(count(v->head, "expect") == 0);
  post.fields[2].second = "something-else";
  auto bad = check_request(post.view(), tunnel_tls("echo.test"), *rules);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 417);
}

TEST_CASE("gate: body swaps read the body whole and re-frame it", "[gate]") {
  auto rules = make_rules();
  auto post = get("/v1/messages", {{"Host", "api.anthropic.com"}, {"Transfer-Encoding", "chunked"}});
  post.method = "POST";
  SECTION("TLS leg: swapped, Content-Length set by the gate") {
    auto v = check_request(post.view(), tunnel_tls("api.anthropic.com"), *rules);
    REQUIRE(v);
    CHECK(v->body == BodyPlan::whole);
    std::string body = "{\"key\":\"" + kBodyToken + "\"}";
    REQUIRE_FALSE(complete_body(*v, tunnel_tls("api.anthropic.com"), *rules, body));
    CHECK(body == "{\"key\":\"" + kBodyValue + "\"}");
    CHECK(value(v->head, "content-length") == std::to_string(body.size()));
    CHECK(count(v->head, "transfer-encoding") == 0);
    CHECK(v->swapped == std::vector<std::string>{"ANTHROPIC_API_KEY"});
  }
  SECTION("plain leg: refused once the body shows a swap is needed") {
    auto v = check_request(post.view(), tunnel_plain("api.anthropic.com"), *rules);
    REQUIRE(v);
    std::string body = kBodyToken;
    auto r = complete_body(*v, tunnel_plain("api.anthropic.com"), *rules, body);
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(r->reason.find("use https") != std::string::npos);
  }
  SECTION("a declared length over max_request_body_bytes: 413 before any byte") {
    post.fields[1] = {"Content-Length", "99999999"};
    auto v = check_request(post.view(), tunnel_tls("api.anthropic.com"), *rules);
    REQUIRE_FALSE(v);
    CHECK(v.error().status == 413);
  }
}

TEST_CASE("gate: responses", "[gate]") {
  auto rules = make_rules();
  auto guarded = check_request(get("/", {{"Host", "api.openai.com"}}).view(), tunnel_tls(), *rules);
  auto open = check_request(get("/", {{"Host", "echo.test"}}).view(), tunnel_tls("echo.test"), *rules);
  REQUIRE(guarded);
  REQUIRE(open);
  struct Row {
    std::vector<Field> fields;
    bool refused_guarded;
  };
  const std::vector<Row> rows{
      {{}, false},
      {{{"Content-Encoding", "identity"}}, false},
      {{{"Content-Encoding", "gzip"}}, true},
      {{{"Content-Encoding", "identity, gzip"}}, true},
      {{{"Content-Encoding", "identity"}, {"Content-Encoding", "br"}}, true},
      {{{"Content-Encoding", ""}, {"content-encoding", "gzip"}}, true},
      {{{"Transfer-Encoding", "chunked"}}, false},
      {{{"Transfer-Encoding", "gzip, chunked"}}, true},
      {{{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "deflate"}}, true},
      {{{"Content-Encoding", " , identity ,"}}, false},
  };
  for (const auto& row : rows) {
    ResponseHead res{200, row.fields};
    auto g = check_response(res, *guarded, true);
    CHECK(g.has_value() == !row.refused_guarded);
    if (!g) CHECK(g.error().status == 502);
    CHECK(check_response(res, *open, true));
    CHECK(check_response(res, *guarded, false));  // no body follows: nothing to scan
  }
  SECTION("101 without an upgrade request") {
    auto r = check_response(ResponseHead{101, {{"Upgrade", "h2c"}}}, *open, false);
    REQUIRE_FALSE(r);
    CHECK(r.error().reason == "upstream switched protocols without an Upgrade request");
  }
  SECTION("a WebSocket extension accepted towards a guarded host") {
    auto ws = check_request(get("/", {{"Host", "api.openai.com"}, {"Upgrade", "websocket"}, {"Connection", "upgrade"}}).view(),
                            tunnel_tls(), *rules);
    REQUIRE(ws);
    CHECK(check_response(ResponseHead{101, {}}, *ws, false)->upgraded);
    CHECK_FALSE(check_response(ResponseHead{101, {{"Sec-WebSocket-Extensions", "permessage-deflate"}}}, *ws, false));
  }
  CHECK(is_response_hop_field("Transfer-Encoding", false));
  CHECK(is_response_hop_field("connection", false));
  CHECK_FALSE(is_response_hop_field("connection", true));
  CHECK_FALSE(is_response_hop_field("content-length", false));
}

TEST_CASE("gate: obs-fold in the raw head is refused", "[gate]") {
  CHECK_FALSE(check_raw_head("GET / HTTP/1.1\r\nHost: a\r\nX: b"));
  CHECK_FALSE(check_raw_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n  body may start with spaces"));
  for (auto raw : {"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c", "GET / HTTP/1.1\r\nHost: a\r\n\tevil.test",
                   "GET / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\nHost: a"}) {
    auto r = check_raw_head(raw);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->close);
  }
}

TEST_CASE("gate: malformed fields", "[gate]") {
  auto rules = make_rules();
  for (auto [name, val] : std::vector<std::pair<std::string, std::string>>{
           {"X Bad", "1"}, {"", "1"}, {"X:Y", "1"}, {"X", std::string("a\0b", 3)}, {"X", "a\rb"}, {"X", "a\nb"}, {"X", "\x7f"}}) {
    auto v = check_request(get("/", {{"Host", "echo.test"}, {name, val}}).view(), tunnel_tls("echo.test"), *rules);
    REQUIRE_FALSE(v);
    CHECK(v.error().status == 400);
    CHECK(v.error().close);
  }
  CHECK(check_request(get("/", {{"Host", "echo.test"}, {"X", "tab\tand obs-text \xe9"}}).view(), tunnel_tls("echo.test"), *rules));
}
