#include "util/fd_io.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "util/unique_fd.hpp"

using namespace sr::util;

namespace {

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe make_pipe() {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace

TEST_CASE("write_all and read_to_end move a buffer of several reads through a file") {
  const std::string data(200000, 'x');  // three reads of read_to_end's 64 KiB buffer
  UniqueFd fd(::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  REQUIRE(fd);
  REQUIRE(write_all(fd.get(), data, "tmp"));
  REQUIRE(::lseek(fd.get(), 0, SEEK_SET) == 0);
  auto got = read_to_end(fd.get(), "tmp");
  REQUIRE(got);
  CHECK(*got == data);
}

TEST_CASE("read_to_end refuses more than max_bytes, naming the file") {
  auto p = make_pipe();
  REQUIRE(write_all(p.write_end.get(), "12345", "pipe"));
  p.write_end.reset();
  auto got = read_to_end(p.read_end.get(), "the pidfile", 4);
  REQUIRE_FALSE(got);
  CHECK(got.error().kind == ErrorKind::invalid_argument);
  CHECK(got.error().message == "the pidfile is larger than 4 bytes");
}

TEST_CASE("read_to_end and write_all report the failed call with the name") {
  auto p = make_pipe();
  auto read = read_to_end(p.write_end.get(), "w");
  REQUIRE_FALSE(read);
  CHECK(read.error().message.starts_with("read(w): "));
  auto wrote = write_all(p.read_end.get(), "x", "r");
  REQUIRE_FALSE(wrote);
  CHECK(wrote.error().message.starts_with("write(r): "));
}
