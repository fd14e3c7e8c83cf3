// --cidfile: refused when present (a symlink counts, never followed),
// written after create, removed when create fails.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/cidfile.hpp"

namespace fs = std::filesystem;
using sr::runtime::CidFile;

namespace {

fs::path scratch() {
  fs::path dir = fs::temp_directory_path() / ("sr-cidfile-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("--cidfile is created, then holds the ID") {
  const auto dir = scratch();
  auto f = CidFile::create((dir / "id").string());
  REQUIRE(f);
  CHECK(fs::exists(dir / "id"));
  REQUIRE(f->write("abc123"));
  CHECK(read(dir / "id") == "abc123");
  fs::remove_all(dir);
}

TEST_CASE("--cidfile refuses an existing file and a planted symlink, touching neither") {
  const auto dir = scratch();
  { std::ofstream(dir / "target") << "keep"; }
  auto existing = CidFile::create((dir / "target").string());
  REQUIRE_FALSE(existing);
  CHECK(existing.error().message ==
        "container ID file found, make sure the other container isn't running or delete " + (dir / "target").string());
  fs::create_symlink(dir / "target", dir / "link");
  CHECK_FALSE(CidFile::create((dir / "link").string()));
  fs::create_symlink(dir / "nowhere", dir / "dangling");
  CHECK_FALSE(CidFile::create((dir / "dangling").string()));
  CHECK_FALSE(fs::exists(dir / "nowhere"));
  CHECK(read(dir / "target") == "keep");
  fs::remove_all(dir);
}

TEST_CASE("--cidfile is removed again when the container could not be created; no path is a no-op") {
  const auto dir = scratch();
  auto f = CidFile::create((dir / "id").string());
  REQUIRE(f);
  f->discard();
  CHECK_FALSE(fs::exists(dir / "id"));
  auto none = CidFile::create("");
  REQUIRE(none);
  CHECK(none->write("x"));
  fs::remove_all(dir);
}
