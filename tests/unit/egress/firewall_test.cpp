#include <catch2/catch.hpp>

#include "egress/firewall.hpp"

using namespace sr::egress;

namespace {

// Records commands; "-C" (check) answers `present`, "-D" succeeds `deletes` times.
struct FakeRunner : CommandRunner {
  std::vector<std::string> ran;
  bool present = false;
  int deletes = 1;
  sr::util::Result<int> run(const std::vector<std::string>& argv) override {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
    ran.push_back(line);
    if (argv.size() > 2 && argv[2] == "-C") return present ? 0 : 1;
    if (argv.size() > 2 && argv[2] == "-D") return deletes-- > 0 ? 0 : 1;
    return 0;
  }
};

}  // namespace

TEST_CASE("the firewall lets the internal network reach only the proxy ports") {
  FakeRunner r;
  REQUIRE(install_firewall({"10.213.37.0/24", "10.213.37.1", {9090, 9091}}, r));
  std::vector<std::string> want = {
      "iptables -w -N SANDBOX-EGRESS",
      "iptables -w -F SANDBOX-EGRESS",
      "iptables -w -A SANDBOX-EGRESS -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
      "iptables -w -A SANDBOX-EGRESS -p tcp -d 10.213.37.1 --dport 9090 -j ACCEPT",
      "iptables -w -A SANDBOX-EGRESS -p tcp -d 10.213.37.1 --dport 9091 -j ACCEPT",
      "iptables -w -A SANDBOX-EGRESS -j REJECT",
      "iptables -w -C INPUT -s 10.213.37.0/24 ! -i lo -j SANDBOX-EGRESS",
      "iptables -w -I INPUT -s 10.213.37.0/24 ! -i lo -j SANDBOX-EGRESS",
  };
  CHECK(r.ran == want);
}

TEST_CASE("installing twice adds the INPUT jump once") {
  FakeRunner r;
  r.present = true;
  REQUIRE(install_firewall({"10.213.37.0/24", "10.213.37.1", {9090}}, r));
  CHECK(r.ran.back() == "iptables -w -C INPUT -s 10.213.37.0/24 ! -i lo -j SANDBOX-EGRESS");
}

TEST_CASE("removal deletes every jump and the chain") {
  FakeRunner r;
  r.deletes = 2;
  REQUIRE(remove_firewall("10.213.37.0/24", r));
  CHECK(r.ran.size() == 5);
  CHECK(r.ran.back() == "iptables -w -X SANDBOX-EGRESS");
}
