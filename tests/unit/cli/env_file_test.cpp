// --env-file content and -e values.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "cli/run/env_file.hpp"

using namespace sr::cli;

namespace {

EnvLookup fake_env() {
  return [](const std::string& k) -> std::optional<std::string> {
    if (k == "HOME") return "/root";
    if (k == "EMPTY") return "";
    return std::nullopt;
  };
}

}  // namespace

TEST_CASE("env file: comments, blank lines, verbatim values, KEY from the environment") {
  const auto r = parse_env_file(
      "# a comment\n\n   \nA=1\n  B= spaced value \nHOME\nUNSET\nEMPTY\nC=\"q\"\r\nD=x=y\n  # indented comment\nE=",
      fake_env());
  REQUIRE(r);
  CHECK(*r == std::vector<std::string>{"A=1", "B= spaced value ", "HOME=/root", "EMPTY=",
                                       "C=\"q\"", "D=x=y", "E="});
}

TEST_CASE("env file: a UTF-8 BOM is skipped") {
  CHECK(*parse_env_file("\xEF\xBB\xBFX=1\n", fake_env()) == std::vector<std::string>{"X=1"});
}

TEST_CASE("env file: names with whitespace or no name are errors naming the line") {
  CHECK(parse_env_file("SP =x\n", fake_env()).error().message == "variable 'SP ' contains whitespaces");
  CHECK(parse_env_file("=x\n", fake_env()).error().message == "no variable name on line '=x'");
}

TEST_CASE("env file: a missing file names the file and errno; a bad one names the file") {
  auto missing = read_env_file("/nonexistent/dir/env", fake_env());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "open /nonexistent/dir/env: No such file or directory");
  CHECK(missing.error().kind == sr::util::ErrorKind::not_found);

  char path[] = "/tmp/sr-env-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << "BAD NAME=1\n";
  auto bad = read_env_file(path, fake_env());
  std::remove(path);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message ==
        "invalid env file (" + std::string(path) + "): variable 'BAD NAME' contains whitespaces");
}

TEST_CASE("-e values") {
  CHECK(*resolve_env_flag("A=1", fake_env()) == "A=1");
  CHECK(*resolve_env_flag("A=", fake_env()) == "A=");
  CHECK(*resolve_env_flag("HOME", fake_env()) == "HOME=/root");
  CHECK(*resolve_env_flag("UNSET", fake_env()) == "UNSET");
  CHECK(resolve_env_flag("=1", fake_env()).error().message == "invalid environment variable: =1");
  CHECK(resolve_env_flag("", fake_env()).error().message == "invalid environment variable: ");
}
