#include <catch2/catch.hpp>

#include "egress/interception.hpp"
#include "fake_command_runner.hpp"

using namespace sr::egress;

using FakeRunner = sr_test::FakeCommandRunner;

TEST_CASE("interception sends the bridge's 443, 80 and DNS to the engine's listeners") {
  FakeRunner r;
  REQUIRE(install_interception({"br-0123456789ab", "10.213.37.1", 9090}, r));
  std::vector<std::string> want = {
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
  CHECK(r.ran.at(2) ==
        "ip6tables -w -t nat -A SANDBOX-ISOLATION-NAT-9090 -p tcp --dport 443 -j DNAT --to-destination [fd00:5e::1]:9093");
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
