#include <catch2/catch.hpp>

#include <map>

#include "egress/firewall_backend.hpp"

using namespace sr::egress;

namespace {

// Answers by the command's words: `outputs` for output(), `statuses` for
// run(); anything else exits 1 (a chain that is not there).
struct TableRunner : IptablesRunner {
  std::map<std::string, std::string> outputs;
  std::map<std::string, int> statuses;

  static std::string line(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
    return s;
  }
  sr::util::Result<int> run(const std::vector<std::string>& argv) override {
    auto it = statuses.find(line(argv));
    return it == statuses.end() ? 1 : it->second;
  }
  sr::util::Result<std::string> output(const std::vector<std::string>& argv) override {
    auto it = outputs.find(line(argv));
    if (it == outputs.end()) return sr::util::fail(sr::util::ErrorKind::io, "exited with status 1");
    return it->second;
  }
};

}  // namespace

TEST_CASE("the back end is what `iptables -V` names") {
  TableRunner r;
  CHECK(iptables_backend(r) == Backend::unknown);
  r.outputs["iptables -V"] = "iptables v1.8.9 (legacy)\n";
  CHECK(iptables_backend(r) == Backend::legacy);
  r.outputs["iptables -V"] = "iptables v1.8.9 (nf_tables)\n";
  CHECK(iptables_backend(r) == Backend::nft);
}

TEST_CASE("with the legacy back end on PATH, rules left in nf_tables are found") {
  TableRunner r;
  r.outputs["iptables -V"] = "iptables v1.8.9 (legacy)\n";
  CHECK(other_backend_rules(r).empty());
  r.statuses["ip6tables-nft -w -S SANDBOX-ISOLATION"] = 0;
  r.outputs["iptables-nft -w -t nat -S PREROUTING"] =
      "-P PREROUTING ACCEPT\n-A PREROUTING -i br-0123456789ab -j SANDBOX-ISOLATION-NAT-9090\n";
  auto found = other_backend_rules(r);
  REQUIRE(found.size() == 2);
  CHECK(found[0] == "iptables-nft: nat PREROUTING jumps to a SANDBOX-ISOLATION-NAT chain");
  CHECK(found[1] == "ip6tables-nft: chain SANDBOX-ISOLATION exists");
  CHECK(other_backend_fix(Backend::legacy).find("iptables-nft-save") != std::string::npos);
}

TEST_CASE("with nf_tables on PATH the legacy tables are the other ones; unknown looks nowhere") {
  TableRunner r;
  r.statuses["iptables-legacy -w -S SANDBOX-ISOLATION"] = 0;
  CHECK(other_backend_rules(r).empty());  // `iptables -V` unanswered
  r.outputs["iptables -V"] = "iptables v1.8.9 (nf_tables)\n";
  CHECK(other_backend_rules(r) == std::vector<std::string>{"iptables-legacy: chain SANDBOX-ISOLATION exists"});
}
