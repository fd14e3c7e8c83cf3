#include <catch2/catch.hpp>

#include "egress/audit_query.hpp"

using namespace sr::egress;
using namespace std::chrono;

namespace {
const char* kBuiltin =
    R"({"time":"2026-11-28T10:00:00.500Z","client":"172.17.0.2:4000","method":"POST",)"
    R"("host":"api.openai.com","path":"/v1/chat","status":200,"bytes_in":10,"bytes_out":20,)"
    R"("duration_ms":1.5,"decision":"allow","reason":"","secrets_swapped":["OPENAI_API_KEY"]})";
const char* kIron =
    R"({"time":"2026-11-28T10:00:01Z","level":"INFO","msg":"request","audit":{"host":"evil.test",)"
    R"("method":"GET","path":"/","remote_addr":"172.17.0.2:1","action":"reject","status_code":403,)"
    R"("duration_ms":0}})";

AuditEntry entry(std::string host, std::string decision, SysTime t) {
  AuditEntry e;
  e.host = std::move(host);
  e.decision = std::move(decision);
  e.time = t;
  return e;
}
}  // namespace

TEST_CASE("both engines' lines parse into one record") {
  auto a = parse_audit_line(kBuiltin);
  REQUIRE(a);
  CHECK(a->host == "api.openai.com");
  CHECK(a->decision == "allow");
  CHECK(a->secrets_swapped == std::vector<std::string>{"OPENAI_API_KEY"});
  CHECK(a->time == *parse_rfc3339("2026-11-28T10:00:00Z") + milliseconds(500));
  auto b = parse_audit_line(kIron);
  REQUIRE(b);
  CHECK(b->decision == "reject");
  CHECK(b->status == 403);
  CHECK_FALSE(parse_audit_line("not json"));
  CHECK_FALSE(parse_audit_line(R"({"msg":"starting"})"));
}

TEST_CASE("--since takes durations and ISO dates, and names a bad value") {
  auto now = *parse_rfc3339("2026-11-28T12:00:00Z");
  CHECK(*parse_since("30m", now) == now - minutes(30));
  CHECK(*parse_since("2h", now) == now - hours(2));
  CHECK(*parse_since("7d", now) == now - hours(24 * 7));
  CHECK(*parse_since("2026-11-27", now) == *parse_rfc3339("2026-11-27T00:00:00Z"));
  auto bad = parse_since("yesterday", now);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("yesterday") != std::string::npos);
}

TEST_CASE("stats flag new hosts and refusal rates above 5%") {
  auto t0 = *parse_rfc3339("2026-11-28T00:00:00Z");
  std::vector<AuditEntry> all;
  for (int i = 0; i < 40; ++i) all.push_back(entry("api.openai.com", "allow", t0 + minutes(i)));
  all.push_back(entry("api.openai.com", "reject", t0 + minutes(50)));  // 1/41 < 5%
  all.push_back(entry("old.example", "allow", t0));
  for (int i = 0; i < 9; ++i) all.push_back(entry("old.example", "allow", t0 + hours(2)));
  all.push_back(entry("old.example", "reject", t0 + hours(2)));  // 1/10 in window
  all.push_back(entry("new.example", "allow", t0 + hours(3)));
  auto st = compute_stats(all, t0 + hours(1), 2);
  CHECK(st.total == 11);
  CHECK(st.unparsed == 2);
  CHECK(st.by_decision["allow"] == 10);
  CHECK(st.hosts["new.example"].first_seen);
  CHECK_FALSE(st.hosts["old.example"].first_seen);
  CHECK(flagged_hosts(st) == std::vector<std::string>{"new.example", "old.example"});
}

TEST_CASE("csv export quotes fields that need it") {
  auto e = parse_audit_line(kBuiltin);
  REQUIRE(e);
  e->reason = "a, \"quoted\" reason";
  auto row = to_csv_row(*e);
  CHECK(row.find("\"a, \"\"quoted\"\" reason\"") != std::string::npos);
  CHECK(row.starts_with("2026-11-28T10:00:00.500Z,172.17.0.2:4000,POST,api.openai.com"));
}
