#include "egress/interception.hpp"

#include <optional>
#include <sstream>

#include "util/host_port.hpp"

namespace sr::egress {

namespace {

using Argv = std::vector<std::string>;

bool is_v6(const std::string& address) { return address.find(':') != std::string::npos; }

std::string tool(const InterceptionSpec& s) { return is_v6(s.gateway) ? "ip6tables" : "iptables"; }

std::string destination(const InterceptionSpec& s, int offset) {
  return util::format_host_port(s.gateway, static_cast<std::uint16_t>(s.tunnel_port + offset));
}

Argv prerouting_jump(const InterceptionSpec& s) {
  return {"-t", "nat", "PREROUTING", "-i", s.bridge, "-j", nat_chain(s.tunnel_port)};
}

// The first element of each rule is the chain; `op` goes before it.
Argv command(const InterceptionSpec& s, const std::string& op, const Argv& rule) {
  Argv argv{tool(s), "-w"};
  std::size_t chain_at = rule[0] == "-t" ? 2 : 0;
  argv.insert(argv.end(), rule.begin(), rule.begin() + static_cast<std::ptrdiff_t>(chain_at));
  argv.push_back(op);
  argv.insert(argv.end(), rule.begin() + static_cast<std::ptrdiff_t>(chain_at), rule.end());
  return argv;
}

util::Result<void> must(IptablesRunner& r, const Argv& argv) {
  SR_ASSIGN(int status, r.run(argv));
  if (status != 0) {
    std::string text;
    for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
    return util::fail(util::ErrorKind::io, "`" + text + "` exited with status " + std::to_string(status));
  }
  return {};
}

// The chain's own rules (-A), then the filter accept and the jump.
std::vector<Argv> chain_rules(const InterceptionSpec& s) {
  const std::string chain = nat_chain(s.tunnel_port);
  auto dnat = [&](const char* proto, const char* port, int offset) {
    return Argv{"-t", "nat", chain, "-p", proto, "--dport", port, "-j", "DNAT", "--to-destination",
                destination(s, offset)};
  };
  return {dnat("tcp", "443", kHttpsPortOffset), dnat("tcp", "80", 1), dnat("udp", "53", kDnsPortOffset),
          dnat("tcp", "53", kDnsPortOffset)};
}

Argv udp_accept(const InterceptionSpec& s) {
  return {port_chain(s.tunnel_port), "-p", "udp", "-d", s.gateway, "--dport",
          std::to_string(s.tunnel_port + kDnsPortOffset), "-j", "ACCEPT"};
}

// Another home's jump from the same bridge ("-A PREROUTING -i <bridge> -j
// SANDBOX-ISOLATION-NAT-<other port>"), as its chain name.
std::optional<std::string> foreign_jump(const InterceptionSpec& s, IptablesRunner& r) {
  auto listing = r.output({tool(s), "-w", "-t", "nat", "-S", "PREROUTING"});
  if (!listing) return std::nullopt;
  const std::string head = "-A PREROUTING -i " + s.bridge + " -j " + kFirewallChain + "-NAT-";
  std::istringstream lines(*listing);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(head) && line.substr(head.size()) != std::to_string(s.tunnel_port))
      return line.substr(line.rfind(" -j ") + 4);
  return std::nullopt;
}

}  // namespace

util::Result<void> check_no_foreign_interception(const InterceptionSpec& s, IptablesRunner& r) {
  auto other = foreign_jump(s, r);
  if (!other) return {};
  const std::string port = other->substr(other->rfind('-') + 1);
  return util::fail(util::ErrorKind::conflict,
                    s.bridge + " is already intercepted by " + *other + " (the state home whose proxy.tunnel_port is " +
                        port + "): the first nat jump wins, so that home's engine would receive this home's "
                        "intercepted traffic; run `sandbox-egress disable` in that home, or remove a stale jump "
                        "with `" + tool(s) + " -t nat -D PREROUTING -i " + s.bridge + " -j " + *other +
                        "`. One home intercepts an egress network at a time");
}

std::string nat_chain(std::uint16_t tunnel_port) {
  return std::string(kFirewallChain) + "-NAT-" + std::to_string(tunnel_port);
}

std::vector<Argv> interception_rules(const InterceptionSpec& s) {
  std::vector<Argv> out;
  for (const auto& r : chain_rules(s)) out.push_back(command(s, "-A", r));
  out.push_back(command(s, "-A", udp_accept(s)));
  out.push_back(command(s, "-I", prerouting_jump(s)));
  return out;
}

util::Result<void> install_interception(const InterceptionSpec& s, IptablesRunner& r) {
  auto ctx = [](util::Error e) { return std::unexpected(e.context("installing the egress interception")); };
  if (auto ok = check_no_foreign_interception(s, r); !ok) return ctx(ok.error());
  const std::string t = tool(s);
  const std::string chain = nat_chain(s.tunnel_port);
  (void)r.run({t, "-w", "-t", "nat", "-N", chain});
  if (auto ok = must(r, {t, "-w", "-t", "nat", "-F", chain}); !ok) return ctx(ok.error());
  for (const auto& rule : chain_rules(s))
    if (auto ok = must(r, command(s, "-A", rule)); !ok) return ctx(ok.error());
  for (const auto& rule : {udp_accept(s), prerouting_jump(s)}) {
    auto present = r.run(command(s, "-C", rule));
    if (!present) return ctx(present.error());
    if (*present != 0)
      if (auto ok = must(r, command(s, rule[0] == "-t" ? "-I" : "-A", rule)); !ok) return ctx(ok.error());
  }
  return {};
}

util::Result<void> remove_interception(const InterceptionSpec& s, IptablesRunner& r) {
  const std::string t = tool(s);
  const std::string chain = nat_chain(s.tunnel_port);
  for (int i = 0; i < 16; ++i) {
    auto st = r.run(command(s, "-D", prerouting_jump(s)));
    if (!st) return std::unexpected(st.error().context("removing the egress interception"));
    if (*st != 0) break;
  }
  (void)r.run({t, "-w", "-t", "nat", "-F", chain});
  (void)r.run({t, "-w", "-t", "nat", "-X", chain});
  return {};
}

std::string check_interception(const InterceptionSpec& s, IptablesRunner& r) {
  std::vector<Argv> rules = chain_rules(s);
  rules.push_back(udp_accept(s));
  rules.push_back(prerouting_jump(s));
  for (const auto& rule : rules) {
    auto st = r.run(command(s, "-C", rule));
    if (!st || *st != 0) {
      auto argv = command(s, "-A", rule);
      std::string text = argv[0];
      for (std::size_t i = 2; i < argv.size(); ++i) text += " " + argv[i];
      return "missing: " + text;
    }
  }
  return {};
}

}  // namespace sr::egress
