#include <catch2/catch.hpp>

#include "egress/interception.hpp"
#include "fake_command_runner.hpp"

using namespace sr::egress;

using FakeRunner = sr_test::FakeCommandRunner;

TEST_CASE("interception sends the bridge's 443, 80 and DNS to the engine's listeners") {
  FakeRunner r;
  REQUIRE(install_interception({"br-0123456789ab", "10.213.37.1", 9090}, r));
  std::vector<std::string> want = {
      "iptables -w -t nat -S PREROUTING",
      "iptables -w -t nat -N SANDBOX-ISOLATION-NAT-9090",
      "iptables -w -t nat -F SANDBOX-ISOLATION-NAT-9090",
      "iptables -w -t nat -A SANDBOX-ISOLATION-NAT-9090 -p tcp --dport 443 -j DNAT --to-destination 10.213.37.1:9093",
      "iptables -w -t nat -A SANDBOX-ISOLATION-NAT-9090 -p tcp --dport 80 -j DNAT --to-destination 10.213.37.1:9091",
      "iptables -w -t nat -A SANDBOX-ISOLATION-NAT-9090 -p udp --dport 53 -j DNAT --to-destination 10.213.37.1:9094",
      "iptables -w -t nat -A SANDBOX-ISOLATION-NAT-9090 -p tcp --dport 53 -j DNAT --to-destination 10.213.37.1:9094",
      "iptables -w -C SANDBOX-ISOLATION-9090 -p udp -d 10.213.37.1 --dport 9094 -j ACCEPT",
      "iptables -w -A SANDBOX-ISOLATION-9090 -p udp -d 10.213.37.1 --dport 9094 -j ACCEPT",
      "iptables -w -t nat -C PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-9090",
      "iptables -w -t nat -I PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-9090",
  };
  CHECK(r.ran == want);
}

TEST_CASE("a second install adds the jump and the accept only once") {
  FakeRunner r;
  r.present = true;
  REQUIRE(install_interception({"br-0123456789ab", "10.213.37.1", 9090}, r));
  for (const auto& line : r.ran) {
    CHECK(line.find(" -I PREROUTING") == std::string::npos);
    CHECK(line.find(" -A SANDBOX-ISOLATION-9090 ") == std::string::npos);
  }
}

TEST_CASE("an IPv6 gateway uses ip6tables and a bracketed gateway") {
  FakeRunner r;
  REQUIRE(install_interception({"br-0123456789ab", "fd00:5e::1", 9090}, r));
  CHECK(r.ran.at(3) ==
        "ip6tables -w -t nat -A SANDBOX-ISOLATION-NAT-9090 -p tcp --dport 443 -j DNAT --to-destination [fd00:5e::1]:9093");
}

TEST_CASE("another home's jump from the same bridge: refused, naming its chain, nothing changed") {
  FakeRunner r;
  r.listing = "-P PREROUTING ACCEPT\n"
              "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n"
              "-A PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-19530\n";
  auto ok = install_interception({"br-0123456789ab", "10.213.37.1", 9090}, r);
  REQUIRE(!ok);
  CHECK(ok.error().kind == sr::util::ErrorKind::conflict);
  CHECK(ok.error().message.find("intercepted by SANDBOX-ISOLATION-NAT-19530") != std::string::npos);
  CHECK(ok.error().message.find("proxy.tunnel_port is 19530") != std::string::npos);
  CHECK(ok.error().message.find("iptables -t nat -D PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-19530") !=
        std::string::npos);
  CHECK(r.ran == std::vector<std::string>{"iptables -w -t nat -S PREROUTING"});
}

TEST_CASE("this home's own jump, or another bridge's, is no conflict") {
  FakeRunner r;
  r.listing = "-A PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-9090\n"
              "-A PREROUTING -i br-ffffffffffff -j SANDBOX-ISOLATION-NAT-19530\n";
  CHECK(install_interception({"br-0123456789ab", "10.213.37.1", 9090}, r));
}

TEST_CASE("removal deletes every jump, then the chain") {
  FakeRunner r;
  r.deletes = 2;
  REQUIRE(remove_interception({"br-0123456789ab", "10.213.37.1", 9090}, r));
  std::vector<std::string> want = {
      "iptables -w -t nat -D PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-9090",
      "iptables -w -t nat -D PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-9090",
      "iptables -w -t nat -D PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-9090",
      "iptables -w -t nat -F SANDBOX-ISOLATION-NAT-9090",
      "iptables -w -t nat -X SANDBOX-ISOLATION-NAT-9090",
  };
  CHECK(r.ran == want);
}

TEST_CASE("the check names the first missing rule") {
  FakeRunner r;
  CHECK(check_interception({"br-0123456789ab", "10.213.37.1", 9090}, r) ==
        "missing: iptables -t nat -A SANDBOX-ISOLATION-NAT-9090 -p tcp --dport 443 -j DNAT --to-destination "
        "10.213.37.1:9093");
  r.present = true;
  CHECK(check_interception({"br-0123456789ab", "10.213.37.1", 9090}, r).empty());
}
