#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "egress/discovery.hpp"
#include "egress/mappings.hpp"
#include "egress/tokens.hpp"
#include "state_test_support.hpp"

using namespace sr::egress;

TEST_CASE("tokens: provider prefix + 32 hex, unique") {
  std::set<std::string> seen;
  std::regex shape("openai-[0-9a-f]{32}");
  for (int i = 0; i < 200; ++i) {
    auto t = mint_token("openai");
    REQUIRE(t);
    CHECK(std::regex_match(*t, shape));
    seen.insert(*t);
  }
  CHECK(seen.size() == 200);
}

TEST_CASE("discovery: aliases collapse, uncovered names reported, env wins over file") {
  auto d = discover(sr_test::present({{"GOOGLE_API_KEY", "x"},
                                      {"ANTHROPIC_API_KEY", "file"},
                                      {"AWS_ACCESS_KEY_ID", "x"},
                                      {"OPENROUTER_API_KEY", ""}}));
  REQUIRE(d.found.size() == 2);
  CHECK(d.found[0].provider->env_name == "ANTHROPIC_API_KEY");
  CHECK(d.found[0].origin == CredentialOrigin::env_file);
  CHECK(d.found[1].provider->env_name == "GEMINI_API_KEY");
  CHECK(d.found[1].found_as == "GOOGLE_API_KEY");
  CHECK(d.uncovered == std::vector<std::string>{"AWS_ACCESS_KEY_ID"});

  auto both = discover(sr_test::present({{"GOOGLE_API_KEY", "x"}, {"GEMINI_API_KEY", "y"}}));
  REQUIRE(both.found.size() == 1);
  CHECK(both.found[0].found_as == "GEMINI_API_KEY");
}

TEST_CASE("discovery: exported values win over the env file") {
  ::setenv("SR_TEST_ONLY_VAR_FOR_LOOKUP", "exported", 1);
  auto lookup = environment_lookup(std::map<std::string, std::string>{
      {"SR_TEST_ONLY_VAR_FOR_LOOKUP", "from-file"}, {"OPENAI_API_KEY_SR_FILE_ONLY", "v"}});
  CHECK(lookup("SR_TEST_ONLY_VAR_FOR_LOOKUP") == CredentialOrigin::environment);
  CHECK(lookup("OPENAI_API_KEY_SR_FILE_ONLY") == CredentialOrigin::env_file);
  CHECK_FALSE(lookup("SR_TEST_UNSET_VAR").has_value());
  ::unsetenv("SR_TEST_ONLY_VAR_FOR_LOOKUP");
}

TEST_CASE("reconcile: keeps tokens, refreshes hosts, drops absent providers") {
  Mappings old;
  old.tokens.push_back({"openai-keepme", "OPENAI_API_KEY", {"stale.example"}, {"X-Old"}, {}});
  old.tokens.push_back({"groq-gone", "GROQ_API_KEY", {"api.groq.com"}, {"Authorization"}, {}});
  auto found = discover(sr_test::present({{"OPENAI_API_KEY", "x"}, {"GEMINI_API_KEY", "y"}}));
  ReconcileReport rep;
  auto m = reconcile(old, found, TokenPolicy::keep_existing, rep);
  REQUIRE(m);
  REQUIRE(m->tokens.size() == 2);
  CHECK(m->tokens[0].proxy_token == "openai-keepme");
  CHECK(m->tokens[0].upstream_hosts == std::vector<std::string>{"api.openai.com"});
  CHECK(m->tokens[0].match_headers == std::vector<std::string>{"Authorization"});
  CHECK(m->tokens[1].env_name == "GEMINI_API_KEY");
  CHECK(m->tokens[1].alias_env_names == std::vector<std::string>{"GOOGLE_API_KEY"});
  CHECK(m->tokens[1].proxy_token.rfind("gemini-", 0) == 0);
  CHECK(rep.kept == std::vector<std::string>{"OPENAI_API_KEY"});
  CHECK(rep.minted == std::vector<std::string>{"GEMINI_API_KEY"});
  CHECK(rep.dropped == std::vector<std::string>{"GROQ_API_KEY"});

  ReconcileReport rot;
  auto rotated = reconcile(*m, found, TokenPolicy::rotate, rot);
  REQUIRE(rotated);
  CHECK(rotated->tokens[0].proxy_token != "openai-keepme");
  CHECK(rot.minted.size() == 2);
}

TEST_CASE("mappings: round trip, corrupt documents are clear errors") {
  Mappings m;
  m.tokens.push_back({"anthropic-0123", "ANTHROPIC_API_KEY", {"api.anthropic.com"},
                      {"x-api-key", "Authorization"}, {}});
  auto text = serialize_mappings(m);
  auto back = parse_mappings(text, "m.json");
  REQUIRE(back);
  REQUIRE(back->tokens.size() == 1);
  CHECK(back->tokens[0].match_headers == m.tokens[0].match_headers);
  CHECK(text.find("\"version\": 1") != std::string::npos);

  for (const char* bad : {"{not json", "[]", "{\"version\": 2, \"tokens\": []}",
                          "{\"version\": 1}", "{\"version\": 1, \"tokens\": [{\"env_name\": \"A\"}]}"}) {
    auto r = parse_mappings(bad, "/x/mappings.json");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.rfind("/x/mappings.json is corrupt", 0) == 0);
  }
}

TEST_CASE("mappings: load refuses a symlink, missing file is empty") {
  sr_test::TempDir d;
  auto empty = load_mappings(d.path / "mappings.json");
  REQUIRE(empty);
  CHECK(empty->tokens.empty());
  sr_test::spit(d.path / "other", "{}");
  std::filesystem::create_symlink(d.path / "other", d.path / "mappings.json");
  auto r = load_mappings(d.path / "mappings.json");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::security);
  Mappings m;
  REQUIRE_FALSE(save_mappings(d.path / "mappings.json", m));
  CHECK(sr_test::slurp(d.path / "other") == "{}");
}

TEST_CASE("redaction shows first 12 and last 4") {
  CHECK(redact_token("openai-0123456789abcdef0123456789abcdef") == "openai-01234\u2026cdef");
  CHECK(redact_token("short") == "*****");
}

TEST_CASE("management token: created 0600 once, then reused") {
  sr_test::TempDir d;
  sr_test::Umask u(0);
  auto a = ensure_management_token(d.path / "management.token");
  REQUIRE(a);
  CHECK(a->size() == 64);
  CHECK(sr_test::mode_of(d.path / "management.token") == 0600);
  auto b = ensure_management_token(d.path / "management.token");
  REQUIRE(b);
  CHECK(*a == *b);
}
