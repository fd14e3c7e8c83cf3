#include <algorithm>

#include <catch2/catch.hpp>

#include "egress/firewall.hpp"
#include "fake_command_runner.hpp"

using namespace sr::egress;

using FakeRunner = sr_test::FakeCommandRunner;

const FirewallSpec kSpec{"10.213.37.0/24", "10.213.37.1", {9090, 9091}, "br-0123456789ab"};

TEST_CASE("the firewall lets the bridge reach only the proxy ports, over IPv4 and IPv6") {
  FakeRunner r;
  REQUIRE(install_firewall(kSpec, r));
  std::vector<std::string> want = {
      "iptables -w -N SANDBOX-ISOLATION-9090",
      "iptables -w -F SANDBOX-ISOLATION-9090",
      "iptables -w -A SANDBOX-ISOLATION-9090 -p tcp -d 10.213.37.1 --dport 9090 -j ACCEPT",
      "iptables -w -A SANDBOX-ISOLATION-9090 -p tcp -d 10.213.37.1 --dport 9091 -j ACCEPT",
      "iptables -w -N SANDBOX-ISOLATION",
      "iptables -w -C SANDBOX-ISOLATION -j SANDBOX-ISOLATION-9090",
      "iptables -w -I SANDBOX-ISOLATION 1 -j SANDBOX-ISOLATION-9090",
      "iptables -w -C SANDBOX-ISOLATION -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
      "iptables -w -A SANDBOX-ISOLATION -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
      "iptables -w -C SANDBOX-ISOLATION -j REJECT",
      "iptables -w -A SANDBOX-ISOLATION -j REJECT",
      "iptables -w -C INPUT -i br-0123456789ab -j SANDBOX-ISOLATION",
      "iptables -w -I INPUT 1 -i br-0123456789ab -j SANDBOX-ISOLATION",
      "ip6tables -w -N SANDBOX-ISOLATION",
      "ip6tables -w -C SANDBOX-ISOLATION -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
      "ip6tables -w -A SANDBOX-ISOLATION -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
      "ip6tables -w -C SANDBOX-ISOLATION -j REJECT",
      "ip6tables -w -A SANDBOX-ISOLATION -j REJECT",
      "ip6tables -w -C INPUT -i br-0123456789ab -j SANDBOX-ISOLATION",
      "ip6tables -w -I INPUT 1 -i br-0123456789ab -j SANDBOX-ISOLATION",
  };
  CHECK(r.ran == want);
}

TEST_CASE("installing twice adds the shared rules and the INPUT jumps once") {
  FakeRunner r;
  r.present = true;
  REQUIRE(install_firewall(kSpec, r));
  for (const auto& line : r.ran) {
    CHECK(line.find(" -I ") == std::string::npos);
    CHECK(line.find(" -A SANDBOX-ISOLATION ") == std::string::npos);
  }
  CHECK(r.ran.back() == "ip6tables -w -C INPUT -i br-0123456789ab -j SANDBOX-ISOLATION");
}

TEST_CASE("no bridge, no firewall: a rule that matched nothing would protect nothing") {
  FakeRunner r;
  CHECK_FALSE(install_firewall({"10.213.37.0/24", "10.213.37.1", {9090}, ""}, r));
  CHECK(r.ran.empty());
}

TEST_CASE("removing one home's chain leaves the shared chains while another home has one") {
  FakeRunner r;
  r.listing =
      "-N SANDBOX-ISOLATION\n"
      "-A SANDBOX-ISOLATION -j SANDBOX-ISOLATION-19090\n"
      "-A SANDBOX-ISOLATION -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
      "-A SANDBOX-ISOLATION -j REJECT --reject-with icmp-port-unreachable\n";
  REQUIRE(remove_firewall(kSpec, r));
  CHECK(r.ran.front() == "iptables -w -D SANDBOX-ISOLATION -j SANDBOX-ISOLATION-9090");
  CHECK(std::find(r.ran.begin(), r.ran.end(), "iptables -w -X SANDBOX-ISOLATION-9090") != r.ran.end());
  CHECK(std::find(r.ran.begin(), r.ran.end(), "iptables -w -X SANDBOX-ISOLATION") == r.ran.end());
  CHECK(r.ran.back() == "iptables -w -S SANDBOX-ISOLATION");
}

TEST_CASE("removing the last home's chain deletes both INPUT jumps and both shared chains") {
  FakeRunner r;
  r.deletes = 1;
  r.listing = "-N SANDBOX-ISOLATION\n-A SANDBOX-ISOLATION -j REJECT\n";
  REQUIRE(remove_firewall(kSpec, r));
  for (const char* line : {"iptables -w -D INPUT -i br-0123456789ab -j SANDBOX-ISOLATION",
                           "ip6tables -w -D INPUT -i br-0123456789ab -j SANDBOX-ISOLATION",
                           "iptables -w -X SANDBOX-ISOLATION"})
    CHECK(std::find(r.ran.begin(), r.ran.end(), line) != r.ran.end());
  CHECK(r.ran.back() == "ip6tables -w -X SANDBOX-ISOLATION");
}

TEST_CASE("a record of the older source-address layout removes that layout") {
  FakeRunner r;
  r.deletes = 2;
  REQUIRE(remove_firewall({"10.213.37.0/24", "", {0}, ""}, r));
  CHECK(r.ran.front() == "iptables -w -D INPUT -s 10.213.37.0/24 ! -i lo -j SANDBOX-EGRESS");
  CHECK(r.ran.back() == "iptables -w -X SANDBOX-EGRESS");
}

TEST_CASE("doctor's view: a missing IPv6 jump is named") {
  struct Partial : FakeRunner {
    sr::util::Result<int> run(const std::vector<std::string>& argv) override {
      record(argv);
      return argv[0] == "ip6tables" && argv[2] == "-C" ? 1 : 0;
    }
  } r;
  r.listing = "-N X\n-A X -j REJECT --reject-with icmp-port-unreachable\n";
  auto problems = firewall_problems(kSpec, r);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "ip6tables: INPUT does not send br-0123456789ab to SANDBOX-ISOLATION");
}
