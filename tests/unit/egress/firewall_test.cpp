#include <algorithm>

#include <catch2/catch.hpp>

#include "egress/firewall.hpp"
#include "fake_command_runner.hpp"

using namespace sr::egress;

using FakeRunner = sr_test::FakeCommandRunner;

TEST_CASE("the firewall lets the internal network reach only the proxy ports") {
  FakeRunner r;
  REQUIRE(install_firewall({"10.213.37.0/24", "10.213.37.1", {9090, 9091}}, r));
  std::vector<std::string> want = {
      "iptables -w -N SANDBOX-EGRESS-9090",
      "iptables -w -F SANDBOX-EGRESS-9090",
      "iptables -w -A SANDBOX-EGRESS-9090 -p tcp -d 10.213.37.1 --dport 9090 -j ACCEPT",
      "iptables -w -A SANDBOX-EGRESS-9090 -p tcp -d 10.213.37.1 --dport 9091 -j ACCEPT",
      "iptables -w -N SANDBOX-EGRESS",
      "iptables -w -S SANDBOX-EGRESS",
      "iptables -w -C SANDBOX-EGRESS -j SANDBOX-EGRESS-9090",
      "iptables -w -I SANDBOX-EGRESS 1 -j SANDBOX-EGRESS-9090",
      "iptables -w -C SANDBOX-EGRESS -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
      "iptables -w -A SANDBOX-EGRESS -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
      "iptables -w -C SANDBOX-EGRESS -j REJECT",
      "iptables -w -A SANDBOX-EGRESS -j REJECT",
      "iptables -w -C INPUT -s 10.213.37.0/24 ! -i lo -j SANDBOX-EGRESS",
      "iptables -w -I INPUT -s 10.213.37.0/24 ! -i lo -j SANDBOX-EGRESS",
  };
  CHECK(r.ran == want);
}

TEST_CASE("installing twice adds the shared rules and the INPUT jump once") {
  FakeRunner r;
  r.present = true;
  REQUIRE(install_firewall({"10.213.37.0/24", "10.213.37.1", {9090}}, r));
  for (const auto& line : r.ran) {
    CHECK(line.find(" -I ") == std::string::npos);
    CHECK(line.find(" -A SANDBOX-EGRESS ") == std::string::npos);
  }
  CHECK(r.ran.back() == "iptables -w -C INPUT -s 10.213.37.0/24 ! -i lo -j SANDBOX-EGRESS");
}

TEST_CASE("direct port rules of the older single-chain layout are deleted on install") {
  FakeRunner r;
  r.listing =
      "-N SANDBOX-EGRESS\n"
      "-A SANDBOX-EGRESS -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
      "-A SANDBOX-EGRESS -d 10.213.37.1/32 -p tcp -m tcp --dport 9090 -j ACCEPT\n"
      "-A SANDBOX-EGRESS -j REJECT --reject-with icmp-port-unreachable\n";
  REQUIRE(install_firewall({"10.213.37.0/24", "10.213.37.1", {9190, 9191}}, r));
  CHECK(std::count(r.ran.begin(), r.ran.end(),
                   "iptables -w -D SANDBOX-EGRESS -d 10.213.37.1/32 -p tcp -m tcp --dport 9090 -j ACCEPT") == 1);
  CHECK(std::count_if(r.ran.begin(), r.ran.end(),
                      [](const std::string& l) { return l.starts_with("iptables -w -D"); }) == 1);
}

TEST_CASE("removing one home's chain leaves the shared chain while another home has one") {
  FakeRunner r;
  r.listing =
      "-N SANDBOX-EGRESS\n"
      "-A SANDBOX-EGRESS -j SANDBOX-EGRESS-19090\n"
      "-A SANDBOX-EGRESS -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
      "-A SANDBOX-EGRESS -j REJECT --reject-with icmp-port-unreachable\n";
  REQUIRE(remove_firewall("10.213.37.0/24", 9090, r));
  CHECK(r.ran.front() == "iptables -w -D SANDBOX-EGRESS -j SANDBOX-EGRESS-9090");
  CHECK(std::find(r.ran.begin(), r.ran.end(), "iptables -w -X SANDBOX-EGRESS-9090") != r.ran.end());
  CHECK(std::find(r.ran.begin(), r.ran.end(), "iptables -w -X SANDBOX-EGRESS") == r.ran.end());
  CHECK(r.ran.back() == "iptables -w -S SANDBOX-EGRESS");
}

TEST_CASE("removing the last home's chain deletes every INPUT jump and the shared chain") {
  FakeRunner r;
  r.deletes = 1;  // the per-port jump once, then the INPUT jumps stop at the first miss
  r.listing = "-N SANDBOX-EGRESS\n-A SANDBOX-EGRESS -j REJECT\n";
  REQUIRE(remove_firewall("10.213.37.0/24", 9090, r));
  CHECK(std::find(r.ran.begin(), r.ran.end(), "iptables -w -D INPUT -s 10.213.37.0/24 ! -i lo -j SANDBOX-EGRESS") !=
        r.ran.end());
  CHECK(r.ran.back() == "iptables -w -X SANDBOX-EGRESS");
}

TEST_CASE("a record from the older layout (no port) removes everything") {
  FakeRunner r;
  r.deletes = 2;
  REQUIRE(remove_firewall("10.213.37.0/24", 0, r));
  CHECK(r.ran.size() == 5);
  CHECK(r.ran.back() == "iptables -w -X SANDBOX-EGRESS");
}
