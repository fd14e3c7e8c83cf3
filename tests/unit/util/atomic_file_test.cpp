#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/atomic_file.hpp"
#include "util/secure_dir.hpp"

namespace fs = std::filesystem;
using sr::util::ErrorKind;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sr-atomic-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

struct Umask {
  mode_t old;
  explicit Umask(mode_t m) : old(::umask(m)) {}
  ~Umask() { ::umask(old); }
};

mode_t mode_of(const fs::path& p) {
  struct stat st{};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("atomic write gives the final mode even under umask 000") {
  TempDir d;
  Umask u(0);
  REQUIRE(sr::util::write_file_atomic(d.path / "key", "secret", 0600));
  CHECK(mode_of(d.path / "key") == 0600);
  REQUIRE(sr::util::write_file_atomic(d.path / "crt", "public", 0644));
  CHECK(mode_of(d.path / "crt") == 0644);
  CHECK(slurp(d.path / "key") == "secret");
}

TEST_CASE("atomic write replaces an existing file and leaves no temp behind") {
  TempDir d;
  REQUIRE(sr::util::write_file_atomic(d.path / "f", "one", 0600));
  REQUIRE(sr::util::write_file_atomic(d.path / "f", "two", 0600));
  CHECK(slurp(d.path / "f") == "two");
  CHECK(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 1);
}

TEST_CASE("an uncommitted write leaves the previous file intact") {
  TempDir d;
  REQUIRE(sr::util::write_file_atomic(d.path / "f", "previous", 0600));
  {
    auto f = sr::util::AtomicFile::create(d.path / "f", 0600);
    REQUIRE(f);
    REQUIRE(f->write("half-writ"));
    CHECK(fs::exists(f->temp_path()));
  }  // destroyed without commit(): an interrupted write
  CHECK(slurp(d.path / "f") == "previous");
  CHECK(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a symlink at the target is refused, naming the path, target untouched") {
  TempDir d;
  std::ofstream(d.path / "victim") << "keep me";
  fs::create_symlink(d.path / "victim", d.path / "link");
  auto r = sr::util::write_file_atomic(d.path / "link", "evil", 0600);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::security);
  CHECK(r.error().message.find((d.path / "link").string()) != std::string::npos);
  CHECK(slurp(d.path / "victim") == "keep me");
  CHECK(fs::is_symlink(d.path / "link"));
}

TEST_CASE("a symlink planted between create and commit is refused") {
  TempDir d;
  std::ofstream(d.path / "victim") << "keep me";
  auto f = sr::util::AtomicFile::create(d.path / "target", 0600);
  REQUIRE(f);
  REQUIRE(f->write("data"));
  fs::create_symlink(d.path / "victim", d.path / "target");
  auto r = f->commit();
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::security);
  CHECK(slurp(d.path / "victim") == "keep me");
}

TEST_CASE("read_file_nofollow refuses symlinks and reports missing files") {
  TempDir d;
  std::ofstream(d.path / "real") << "x";
  fs::create_symlink(d.path / "real", d.path / "link");
  auto r = sr::util::read_file_nofollow(d.path / "link");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::security);
  auto missing = sr::util::read_file_nofollow(d.path / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(*sr::util::read_file_nofollow(d.path / "real") == "x");
}

TEST_CASE("private dirs are created 0700 and tightened, symlinks refused") {
  TempDir d;
  Umask u(0);
  REQUIRE(sr::util::ensure_private_dir(d.path / "a" / "state"));
  CHECK(mode_of(d.path / "a" / "state") == 0700);
  ::chmod((d.path / "a" / "state").c_str(), 0755);
  REQUIRE(sr::util::ensure_private_dir(d.path / "a" / "state"));
  CHECK(mode_of(d.path / "a" / "state") == 0700);

  fs::create_directory(d.path / "elsewhere");
  ::chmod((d.path / "elsewhere").c_str(), 0755);
  fs::create_directory_symlink(d.path / "elsewhere", d.path / "linked");
  auto r = sr::util::ensure_private_dir(d.path / "linked");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::security);
  CHECK(r.error().message.find((d.path / "linked").string()) != std::string::npos);
  CHECK(mode_of(d.path / "elsewhere") == 0755);
}
