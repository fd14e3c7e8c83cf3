#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "proxy/admin/audit.hpp"
#include "proxy/policy/secrets.hpp"
#include "test_ca.hpp"

using sr::proxy::AuditLog;
using sr::proxy::AuditRecord;
using sr::proxy::Decision;
using sr::proxy::strip_query_values;
namespace fs = std::filesystem;
using sr_test::TempDir;

namespace {

const std::string kToken = "openai-00112233445566778899aabbccddeeff";
const std::string kValue = "sk-REAL-value-xyz";

sr::proxy::SecretSet secret_set() {
  sr::proxyconf::Secret s;
  s.source_var = "OPENAI_API_KEY";
  s.proxy_value = kToken;
  s.match_headers = {"authorization"};
  s.rule_hosts = {"api.openai.com"};
  auto set = sr::proxy::SecretSet::create({s}, [](std::string_view) { return std::optional<std::string>(kValue); });
  REQUIRE(set);
  return std::move(*set);
}

int count_lines(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) ++n;
  return n;
}

AuditRecord sample() {
  AuditRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1767323045678));  // 2026-01-02T03:04:05.678Z
  r.client = "172.17.0.2:40000";
  r.method = "POST";
  r.host = "api.openai.com";
  r.target = "/v1/chat?key=abc&a=1&flag";
  r.status = 200;
  r.bytes_in = 123;
  r.bytes_out = 4567;
  r.duration = std::chrono::microseconds(12500);
  r.decision = Decision::allow;
  r.secrets_swapped = {"OPENAI_API_KEY"};
  return r;
}

}  // namespace

TEST_CASE("audit: query values are dropped, keys kept", "[proxy][audit]") {
  CHECK(strip_query_values("/v1/x?key=secret&a=1") == "/v1/x?key=&a=");
  CHECK(strip_query_values("/v1/x") == "/v1/x");
  CHECK(strip_query_values("/v1/x?") == "/v1/x?");
  CHECK(strip_query_values("/x?flag&k=v=w&&") == "/x?flag&k=&&");
  CHECK(strip_query_values("/x?a=1#frag") == "/x?a=");
  CHECK(strip_query_values("http://h.example/p?q=1") == "http://h.example/p?q=");
}

TEST_CASE("audit: RFC 3339 UTC time with milliseconds", "[proxy][audit]") {
  using namespace std::chrono;
  CHECK(sr::proxy::format_time(system_clock::time_point(milliseconds(1767323045678))) == "2026-01-02T03:04:05.678Z");
  CHECK(sr::proxy::format_time(system_clock::time_point(seconds(0))) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("audit: the JSON line", "[proxy][audit]") {
  std::string line = AuditLog::format(sample());
  CHECK(line ==
        R"({"time":"2026-01-02T03:04:05.678Z","client":"172.17.0.2:40000","method":"POST",)"
        R"("host":"api.openai.com","path":"/v1/chat?key=&a=&flag","status":200,"bytes_in":123,)"
        R"("bytes_out":4567,"duration_ms":12.5,"decision":"allow","reason":"",)"
        R"("secrets_swapped":["OPENAI_API_KEY"]})");
  auto rejected = sample();
  rejected.decision = Decision::reject;
  rejected.status = 403;
  rejected.reason = "host evil.example is not on the allowlist";
  rejected.secrets_swapped.clear();
  auto j = nlohmann::json::parse(AuditLog::format(rejected));
  CHECK(j["decision"] == "reject");
  CHECK(j["reason"] == "host evil.example is not on the allowlist");
  CHECK(j["secrets_swapped"].empty());
}

TEST_CASE("audit: numbers and strings are written as nlohmann::json writes them", "[proxy][audit]") {
  // The line is assembled by hand with a fast path for plain ASCII strings;
  // it must be byte for byte what serialising the parsed line gives back.
  auto r = sample();
  for (auto d : {std::chrono::microseconds(3000), std::chrono::microseconds(0), std::chrono::microseconds(1),
                 std::chrono::microseconds(123456789012)}) {
    r.duration = d;
    for (std::string reason : {std::string("plain"), std::string("quote \" and \\ backslash"),
                               std::string("tab\tnewline\n nul") + std::string(1, '\0'),
                               std::string("caf\xc3\xa9 \xe2\x82\xac"), std::string("")}) {
      r.reason = reason;
      r.secrets_swapped = {"A", "B\"C"};
      std::string line = AuditLog::format(r);
      auto j = nlohmann::ordered_json::parse(line);
      CHECK(j.dump() == line);
      CHECK(j["reason"] == reason);
      CHECK(j["secrets_swapped"] == nlohmann::json::array({"A", "B\"C"}));
    }
  }
  r.duration = std::chrono::microseconds(3000);
  CHECK(AuditLog::format(r).find(R"("duration_ms":3.0,)") != std::string::npos);
}

TEST_CASE("audit: never a token or a value, wherever it appears", "[proxy][audit]") {
  auto set = secret_set();
  AuditRecord r = sample();
  r.method = kToken;
  r.host = kToken + ".evil.example";
  r.target = "/a/" + kToken + "/" + kValue + "?" + kToken + "=" + kToken + "&q=" + kValue;
  r.reason = "echo " + kValue;
  r.client = "c " + kToken;
  std::string line = AuditLog::format(r, &set);
  CHECK(line.find(kToken) == std::string::npos);
  CHECK(line.find(kValue) == std::string::npos);
  auto j = nlohmann::json::parse(line);
  CHECK(j["path"] == "/a/[proxy-token:OPENAI_API_KEY]/[secret:OPENAI_API_KEY]?[proxy-token:OPENAI_API_KEY]=&q=");
  CHECK(j["host"] == "[proxy-token:OPENAI_API_KEY].evil.example");
}

TEST_CASE("audit: stripping query values cannot splice a secret together (fuzz regression)", "[proxy][audit]") {
  // Found by fuzz_request_head: with a value containing "=&", dropping the
  // value "B..." of a query pair rebuilt the secret from its two halves.
  sr::proxyconf::Secret s;
  s.source_var = "K";
  s.proxy_value = "tok-0123456789";
  s.rule_hosts = {"a.example"};
  auto set = sr::proxy::SecretSet::create({s}, [](std::string_view) { return std::optional<std::string>("sk-x+/=&"); });
  REQUIRE(set);
  AuditRecord r = sample();
  r.target = "/p?sk-x+/=B&c=1";
  std::string line = AuditLog::format(r, &*set);
  CHECK(line.find("sk-x+/=&") == std::string::npos);
  CHECK(nlohmann::json::parse(line)["path"] == "/p?[secret:K]c=");
}

TEST_CASE("audit: invalid UTF-8 never breaks a line", "[proxy][audit]") {
  AuditRecord r = sample();
  r.target = "/\xff\xfe?x=1";
  r.method = "G\x01T";
  std::string line = AuditLog::format(r);
  auto j = nlohmann::json::parse(line);
  CHECK(j["path"].get<std::string>().find("?x=") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("audit: file is created 0600 and appended to, one line per record", "[proxy][audit]") {
  TempDir d;
  fs::path p = d.path / "audit.log";
  auto log = AuditLog::open_file(p);
  REQUIRE(log);
  struct stat st{};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  (*log)->write(sample());
  (*log)->write(sample());
  log->reset();
  auto again = AuditLog::open_file(p);  // appends, does not truncate
  REQUIRE(again);
  (*again)->write(sample());
  CHECK(count_lines(p) == 3);
  CHECK((*again)->write_failures() == 0);
}

TEST_CASE("audit: with a scheduler, lines are gathered and written per batch, in order",
          "[proxy][audit]") {
  TempDir d;
  fs::path p = d.path / "audit.log";
  auto log = AuditLog::open_file(p);
  REQUIRE(log);
  std::vector<std::function<void()>> queued;
  (*log)->set_scheduler([&](std::function<void()> flush) {
    queued.push_back(std::move(flush));
    return true;
  });
  for (int i = 0; i < 3; ++i) {
    AuditRecord r = sample();
    r.target = "/" + std::to_string(i);
    (*log)->write(r);
  }
  CHECK(queued.size() == 1);  // one flush per batch
  CHECK(count_lines(p) == 0);
  queued.front()();
  CHECK(count_lines(p) == 3);
  std::ifstream in(p);
  std::string line;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(std::getline(in, line));
    CHECK(nlohmann::json::parse(line)["path"] == "/" + std::to_string(i));
  }
  // The next line starts a new batch.
  (*log)->write(sample());
  CHECK(queued.size() == 2);
  // A scheduler that cannot take the flush: written at once.
  (*log)->set_scheduler([](std::function<void()>) { return false; });
  CHECK(count_lines(p) == 4);  // set_scheduler flushed the open batch
  (*log)->write(sample());
  CHECK(count_lines(p) == 5);
  // The destructor writes what is still gathered.
  (*log)->set_scheduler([](std::function<void()>) { return true; });
  (*log)->write(sample());
  CHECK(count_lines(p) == 5);
  log->reset();
  CHECK(count_lines(p) == 6);
}

TEST_CASE("audit: concurrent writers never interleave lines", "[proxy][audit]") {
  TempDir d;
  fs::path p = d.path / "audit.log";
  auto log = AuditLog::open_file(p);
  REQUIRE(log);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      AuditRecord r = sample();
      r.target = "/" + std::string(2000, static_cast<char>('a' + t));
      for (int i = 0; i < 200; ++i) (*log)->write(r);
    });
  for (auto& t : threads) t.join();
  std::ifstream in(p);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    std::string path = j["path"];
    CHECK(path.size() == 2001);
    CHECK(path.find_first_not_of(path[1], 1) == std::string::npos);
    ++lines;
  }
  CHECK(lines == 800);
}

TEST_CASE("audit: refuses symlinks, wide modes and non-regular files", "[proxy][audit]") {
  TempDir d;
  fs::path target = d.path / "real.log";
  fs::path link = d.path / "link.log";
  fs::create_symlink(target, link);
  auto via_link = AuditLog::open_file(link);
  REQUIRE_FALSE(via_link);
  CHECK(via_link.error().kind == sr::util::ErrorKind::security);
  CHECK(via_link.error().message.find("symlink") != std::string::npos);
  CHECK_FALSE(fs::exists(target));

  fs::path wide = d.path / "wide.log";
  { std::ofstream(wide) << ""; }
  fs::permissions(wide, fs::perms(0644));
  auto r = AuditLog::open_file(wide);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "audit log " + wide.string() + " has mode 0644, expected 0600 (fix: chmod 600 " +
                                 wide.string() + ")");

  auto dir = AuditLog::open_file(d.path);
  REQUIRE_FALSE(dir);
}

TEST_CASE("audit: stderr sink", "[proxy][audit]") {
  auto log = AuditLog::to_stderr();
  REQUIRE(log);
}
