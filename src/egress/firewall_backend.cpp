#include "egress/firewall_backend.hpp"

#include <array>

namespace sr::egress {
namespace {

Backend other(Backend b) { return b == Backend::nft ? Backend::legacy : Backend::nft; }

// "iptables-legacy", "ip6tables-nft", ...: the variants the iptables package
// installs beside the alternatives' `iptables`.
std::string variant(std::string_view tool, Backend b) {
  return std::string(tool) + "-" + std::string(backend_name(b));
}

}  // namespace

std::string_view backend_name(Backend backend) {
  switch (backend) {
    case Backend::nft: return "nft";
    case Backend::legacy: return "legacy";
    case Backend::unknown: break;
  }
  return "unknown";
}

Backend iptables_backend(IptablesRunner& r) {
  auto version = r.output({"iptables", "-V"});
  if (!version) return Backend::unknown;
  if (version->find("(legacy)") != std::string::npos) return Backend::legacy;
  if (version->find("(nf_tables)") != std::string::npos) return Backend::nft;
  return Backend::unknown;
}

std::vector<std::string> other_backend_rules(IptablesRunner& r) {
  std::vector<std::string> found;
  const Backend on_path = iptables_backend(r);
  if (on_path == Backend::unknown) return found;
  const std::string prefix = std::string(kFirewallChain);
  for (std::string_view tool : std::array<std::string_view, 2>{"iptables", "ip6tables"}) {
    const std::string t = variant(tool, other(on_path));
    // A missing tool or table is an error or a non-zero status: nothing found.
    if (auto st = r.run({t, "-w", "-S", prefix}); st && *st == 0)
      found.push_back(t + ": chain " + prefix + " exists");
    if (auto nat = r.output({t, "-w", "-t", "nat", "-S", "PREROUTING"});
        nat && nat->find("-j " + prefix + "-NAT-") != std::string::npos)
      found.push_back(t + ": nat PREROUTING jumps to a " + prefix + "-NAT chain");
  }
  return found;
}

std::string other_backend_fix(Backend on_path) {
  const std::string o(backend_name(other(on_path)));
  return "these rules were made while iptables was the " + o + " back end; list them with `iptables-" + o +
         "-save | grep SANDBOX-ISOLATION` (and ip6tables-" + o +
         "-save), then run `sandbox-egress disable` in the home that made them with iptables-" + o +
         " selected (update-alternatives --set iptables /usr/sbin/iptables-" + o +
         ", the same for ip6tables), switch back and run `sandbox-egress setup` again";
}

}  // namespace sr::egress
