#include <catch2/catch.hpp>

#include <set>

#include "util/dotenv.hpp"
#include "util/random.hpp"

TEST_CASE("dotenv: export, comments, quotes") {
  auto r = sr::util::parse_dotenv(
      "# comment\n\nexport A=1\nB = 'two # not a comment'\nC=\"x\\ny\"\nD=plain # trailing\nE=\n",
      "f.env");
  REQUIRE(r);
  CHECK(r->at("A") == "1");
  CHECK(r->at("B") == "two # not a comment");
  CHECK(r->at("C") == "x\ny");
  CHECK(r->at("D") == "plain");
  CHECK(r->at("E").empty());
}

TEST_CASE("dotenv errors name file and line, never the value") {
  auto r = sr::util::parse_dotenv("A=1\nSECRET=\"sk-live-abc\n", "f.env");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("f.env:2") == 0);
  CHECK(r.error().message.find("sk-live") == std::string::npos);
  auto bad = sr::util::parse_dotenv("no equals sign\n", "g.env");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("g.env:1") == 0);
}

// The fuzz target (fuzz/fuzz_env_file.cpp) checks parse_dotenv's keys with
// valid_dotenv_key; this pins what that function accepts.
TEST_CASE("valid_dotenv_key: [A-Za-z_][A-Za-z0-9_]*") {
  for (const char* ok : {"A", "_", "a1", "OPENAI_API_KEY", "_9", "abcXYZ_09"})
    CHECK(sr::util::valid_dotenv_key(ok));
  for (const char* bad : {"", "1A", "9", "A-B", "A B", "A.B", "A=", "\xc3\xa9", "export A"})
    CHECK_FALSE(sr::util::valid_dotenv_key(bad));
}

TEST_CASE("random_hex has the right length and does not repeat") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto h = sr::util::random_hex(16);
    REQUIRE(h);
    CHECK(h->size() == 32);
    CHECK(h->find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(*h);
  }
  CHECK(seen.size() == 100);
}
