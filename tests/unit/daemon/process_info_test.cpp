#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "daemon/daemon_probe.hpp"
#include "daemon/pidfile.hpp"
#include "daemon/process_info.hpp"
#include "util/unique_fd.hpp"

using namespace sr::daemon;

TEST_CASE("stat start time is field 22 counted after the last ')'") {
  // comm "a) b (c" holds spaces and parentheses, as a hostile process name can.
  std::string stat =
      "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
  auto t = sr::daemon::parse_stat_start_time(stat);
  REQUIRE(t);
  CHECK(*t == 987654);
  CHECK(sr::daemon::parse_stat_state(stat) == 'S');
  CHECK(sr::daemon::parse_stat_state("1 (z) Z 0") == 'Z');
  CHECK_FALSE(sr::daemon::parse_stat_start_time("1 (x) S 1 2 3"));
  CHECK_FALSE(sr::daemon::parse_stat_start_time("garbage"));
}

TEST_CASE("environ block match is exact per entry") {
  std::string block("A=1\0SANDBOX_EGRESS_NONCE=abc\0B=2\0", 31);
  CHECK(sr::daemon::environ_block_has(block, "SANDBOX_EGRESS_NONCE", "abc"));
  CHECK_FALSE(sr::daemon::environ_block_has(block, "SANDBOX_EGRESS_NONCE", "ab"));
  CHECK_FALSE(sr::daemon::environ_block_has(block, "SANDBOX_EGRESS_NONC", "abc"));
  CHECK_FALSE(sr::daemon::environ_block_has(std::string("XSANDBOX_EGRESS_NONCE=abc", 25),
                                "SANDBOX_EGRESS_NONCE", "abc"));
}

TEST_CASE("our own process is alive, has a start time and its environ is readable") {
  REQUIRE(::setenv("SR_DAEMON_TEST_MARK", "present", 1) == 0);
  CHECK(sr::daemon::process_alive(::getpid()));
  CHECK(sr::daemon::process_start_time(::getpid()));
  auto argv0 = sr::daemon::process_argv0(::getpid());
  REQUIRE(argv0);
  CHECK(std::filesystem::path(*argv0).filename() == "unit_daemon");
  CHECK_FALSE(sr::daemon::process_alive(0));
  CHECK_FALSE(sr::daemon::process_alive(-1));
}

TEST_CASE("listen addresses parse; wildcard probes loopback") {
  auto a = dial_address("127.0.0.1:9090");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 9090);
  auto b = dial_address("[::1]:10");
  REQUIRE(b);
  CHECK(b->host == "::1");
  CHECK(dial_address(":9090")->host == "127.0.0.1");
  CHECK_FALSE(dial_address("127.0.0.1"));
  CHECK_FALSE(dial_address("127.0.0.1:0"));
  CHECK_FALSE(dial_address("127.0.0.1:70000"));
  CHECK(dial_address("[::]:9090")->host == "::1");
  CHECK(dial_address("0.0.0.0:1")->host == "127.0.0.1");
  auto bare = dial_address("::1:9090");  // the last colon starts the port, as the engine reads it
  REQUIRE(bare);
  CHECK(bare->host == "::1");
  CHECK(bare->port == 9090);
  CHECK_FALSE(dial_address("[::1]"));
  CHECK(dial_address("x").error().message == "bad listen address 'x': expected host:port");
}

namespace {
std::filesystem::path temp_dir() {
  char tmpl[] = "/tmp/sr-daemon-unit-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}
}  // namespace

TEST_CASE("pidfile: exclusive 0600 create, parse, symlink refused") {
  auto dir = temp_dir();
  auto pf = dir / "daemon.pid";
  auto none = sr::daemon::read_pidfile(pf);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  REQUIRE(sr::daemon::create_pidfile(pf, 1234));
  CHECK((std::filesystem::status(pf).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  auto again = sr::daemon::create_pidfile(pf, 99);
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == sr::util::ErrorKind::conflict);
  auto pid = sr::daemon::read_pidfile(pf);
  REQUIRE(pid);
  CHECK(**pid == 1234);

  std::ofstream(dir / "bad.pid") << "12x\n";
  CHECK_FALSE(sr::daemon::read_pidfile(dir / "bad.pid"));

  std::filesystem::create_symlink(pf, dir / "link.pid");
  auto link = sr::daemon::read_pidfile(dir / "link.pid");
  REQUIRE_FALSE(link);
  CHECK(link.error().kind == sr::util::ErrorKind::security);
  auto log = sr::daemon::open_private_append(dir / "link.pid");
  REQUIRE_FALSE(log);
  CHECK(log.error().kind == sr::util::ErrorKind::security);
  std::filesystem::remove_all(dir);
}

TEST_CASE("state lock: a second non-blocking holder gets a conflict") {
  auto dir = temp_dir();
  auto first = sr::daemon::StateLock::acquire(dir / "daemon.lock", sr::daemon::LockWait::no);
  REQUIRE(first);
  // flock locks belong to the open file description, so a second open in the
  // same process contends like another CLI invocation would.
  auto second = sr::daemon::StateLock::acquire(dir / "daemon.lock", sr::daemon::LockWait::no);
  REQUIRE_FALSE(second);
  CHECK(second.error().kind == sr::util::ErrorKind::conflict);
  std::filesystem::remove_all(dir);
}

TEST_CASE("listener_owned_by: our own loopback listener, per process and port") {
  for (int family : {AF_INET, AF_INET6}) {
    CAPTURE(family);
    sr::util::UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *v4;
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
      v6->sin6_family = AF_INET6;
      v6->sin6_addr = in6addr_loopback;
      len = sizeof *v6;
    }
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0);
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    const auto port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    CHECK_FALSE(sr::daemon::listener_owned_by(::getpid(), port));  // bound, not listening
    REQUIRE(::listen(fd.get(), 1) == 0);
    CHECK(sr::daemon::listener_owned_by(::getpid(), port));
    CHECK_FALSE(sr::daemon::listener_owned_by(1, port));  // init does not hold it
    fd.reset();
    CHECK_FALSE(sr::daemon::listener_owned_by(::getpid(), port));
  }
}
