#include "egress/firewall.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <sstream>

#include "util/atomic_file.hpp"
#include "util/command_runner.hpp"

namespace sr::egress {
namespace {

using Argv = std::vector<std::string>;

// iptables' own messages go to a log nobody reads here: the callers report
// the command and its status, and what to check.
class SystemRunner final : public IptablesRunner {
 public:
  util::Result<int> run(const Argv& argv) override {
    SR_ASSIGN(util::CommandResult r, start(argv));
    return r.signal != 0 ? 128 + r.signal : r.exit_code;
  }

  util::Result<std::string> output(const Argv& argv) override {
    SR_ASSIGN(util::CommandResult r, start(argv));
    if (!r.ok()) return util::fail(util::ErrorKind::io, "`" + argv.at(0) + "` failed (" + r.status_text() + ")");
    return std::move(r.out);
  }

 private:
  static util::Result<util::CommandResult> start(const Argv& argv) {
    auto r = util::system_command_runner().run({.argv = argv});
    if (!r && r.error().kind == util::ErrorKind::not_found)
      return util::fail(util::ErrorKind::not_found, argv.at(0) + " not found on PATH (install the iptables package)");
    return r;
  }
};

std::string join(const Argv& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

util::Result<void> must(IptablesRunner& r, const Argv& argv) {
  SR_ASSIGN(int status, r.run(argv));
  if (status != 0)
    return util::fail(util::ErrorKind::io,
                      "`" + join(argv) + "` exited with status " + std::to_string(status) +
                          " (are you root, and is the iptables package installed?)");
  return {};
}

constexpr std::array<const char*, 2> kTools = {"iptables", "ip6tables"};

Argv rule(const char* tool, std::string_view op, std::string_view chain, Argv spec) {
  Argv argv{tool, "-w", std::string(op), std::string(chain)};
  argv.insert(argv.end(), spec.begin(), spec.end());
  return argv;
}

Argv bridge_jump(const std::string& bridge) { return {"-i", bridge, "-j", kFirewallChain}; }

// The older layout: the host's own connections to the gateway also carry a
// source inside the subnet, but arrive on lo.
Argv legacy_jump(const std::string& subnet) {
  return {"-s", subnet, "!", "-i", "lo", "-j", kLegacyFirewallChain};
}

// Adds `spec` to `chain` unless an identical rule is there (-C).
util::Result<void> ensure(IptablesRunner& r, const char* tool, std::string_view chain, const Argv& spec,
                          bool first) {
  SR_ASSIGN(int present, r.run(rule(tool, "-C", chain, spec)));
  if (present == 0) return {};
  if (first) {
    Argv at{"1"};
    at.insert(at.end(), spec.begin(), spec.end());
    return must(r, rule(tool, "-I", chain, at));
  }
  return must(r, rule(tool, "-A", chain, spec));
}

// The rules of `iptables -S <chain>` ("-A CHAIN arg..."), split on blanks
// (iptables prints no quoted arguments for the rules this file writes).
std::vector<Argv> list_rules(IptablesRunner& r, const char* tool, std::string_view chain) {
  std::vector<Argv> rules;
  auto text = r.output({tool, "-w", "-S", std::string(chain)});
  if (!text) return rules;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    Argv argv{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
    if (argv.size() > 2 && argv[0] == "-A") rules.emplace_back(argv.begin() + 2, argv.end());
  }
  return rules;
}

bool jumps_to_port_chain(const Argv& spec, std::string_view shared) {
  return spec.size() == 2 && spec[0] == "-j" && spec[1].starts_with(std::string(shared) + "-");
}

const Argv kEstablished{"-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"};
const Argv kReject{"-j", "REJECT"};

util::Result<void> install_v4_port_chain(const FirewallSpec& spec, IptablesRunner& r) {
  const std::string mine = port_chain(spec.ports.front());
  // -N fails when a chain exists; -F then empties this port's chain either way.
  (void)r.run({"iptables", "-w", "-N", mine});
  SR_TRY(must(r, {"iptables", "-w", "-F", mine}));
  for (auto port : spec.ports)
    SR_TRY(must(r, rule("iptables", "-A", mine,
                        {"-p", "tcp", "-d", spec.gateway, "--dport", std::to_string(port), "-j", "ACCEPT"})));
  return {};
}

// The shared chain and the INPUT jump of one tool; IPv4 also jumps to this
// home's port chain first, so it always precedes the final REJECT.
util::Result<void> install_shared(const FirewallSpec& spec, const char* tool, IptablesRunner& r) {
  (void)r.run({tool, "-w", "-N", kFirewallChain});
  if (std::string_view(tool) == "iptables") SR_TRY(ensure(r, tool, kFirewallChain, {"-j", port_chain(spec.ports.front())}, true));
  SR_TRY(ensure(r, tool, kFirewallChain, kEstablished, false));
  SR_TRY(ensure(r, tool, kFirewallChain, kReject, false));
  return ensure(r, tool, "INPUT", bridge_jump(spec.bridge), true);
}

// Deletes every copy of `spec` in `chain` (each may be gone already).
util::Result<void> delete_all(IptablesRunner& r, const char* tool, std::string_view chain, const Argv& spec) {
  for (int i = 0; i < 16; ++i) {
    SR_ASSIGN(int st, r.run(rule(tool, "-D", chain, spec)));
    if (st != 0) break;
  }
  return {};
}

void drop_chain(IptablesRunner& r, const char* tool, const std::string& chain) {
  (void)r.run({tool, "-w", "-F", chain});
  (void)r.run({tool, "-w", "-X", chain});
}

util::Result<void> remove_legacy(const FirewallSpec& spec, IptablesRunner& r) {
  const std::string shared = kLegacyFirewallChain;
  if (!spec.ports.empty() && spec.ports.front() != 0) {
    const std::string mine = shared + "-" + std::to_string(spec.ports.front());
    SR_TRY(delete_all(r, "iptables", shared, {"-j", mine}));
    drop_chain(r, "iptables", mine);
    auto rules = list_rules(r, "iptables", shared);
    if (std::any_of(rules.begin(), rules.end(), [&](const Argv& a) { return jumps_to_port_chain(a, shared); }))
      return {};
  }
  SR_TRY(delete_all(r, "iptables", "INPUT", legacy_jump(spec.subnet)));
  drop_chain(r, "iptables", shared);
  return {};
}

}  // namespace

std::string port_chain(std::uint16_t tunnel_port) {
  return std::string(kFirewallChain) + "-" + std::to_string(tunnel_port);
}

IptablesRunner& system_iptables_runner() {
  static SystemRunner runner;
  return runner;
}

util::Result<void> install_firewall(const FirewallSpec& spec, IptablesRunner& r) {
  auto ctx = [](util::Error e) { return std::unexpected(e.context("installing the egress firewall")); };
  if (spec.ports.empty() || spec.bridge.empty())
    return util::fail(util::ErrorKind::invalid_argument, "installing the egress firewall: no port or bridge");
  if (auto ok = install_v4_port_chain(spec, r); !ok) return ctx(ok.error());
  for (const char* tool : kTools)
    if (auto ok = install_shared(spec, tool, r); !ok) return ctx(ok.error());
  return {};
}

std::vector<std::string> firewall_problems(const FirewallSpec& spec, IptablesRunner& r) {
  std::vector<std::string> out;
  for (const char* tool : kTools) {
    const std::string t = tool;
    auto jump = r.run(rule(tool, "-C", "INPUT", bridge_jump(spec.bridge)));
    if (!jump || *jump != 0) out.push_back(t + ": INPUT does not send " + spec.bridge + " to " + kFirewallChain);
    auto rules = list_rules(r, tool, kFirewallChain);
    const bool rejects = !rules.empty() && rules.back().size() >= 2 && rules.back()[1] == "REJECT";
    if (!rejects) out.push_back(t + ": chain " + kFirewallChain + " missing or not ending in REJECT");
  }
  auto mine = list_rules(r, "iptables", port_chain(spec.ports.empty() ? 0 : spec.ports.front()));
  if (mine.empty()) out.push_back("iptables: chain " + port_chain(spec.ports.empty() ? 0 : spec.ports.front()) + " missing");
  return out;
}

util::Result<void> remove_firewall(const FirewallSpec& spec, IptablesRunner& r) {
  auto ctx = [](util::Error e) { return std::unexpected(e.context("removing the egress firewall")); };
  if (spec.bridge.empty()) {
    if (auto ok = remove_legacy(spec, r); !ok) return ctx(ok.error());
    return {};
  }
  const std::uint16_t port = spec.ports.empty() ? 0 : spec.ports.front();
  if (port != 0) {
    const std::string mine = port_chain(port);
    if (auto ok = delete_all(r, "iptables", kFirewallChain, {"-j", mine}); !ok) return ctx(ok.error());
    drop_chain(r, "iptables", mine);
    auto rules = list_rules(r, "iptables", kFirewallChain);
    if (std::any_of(rules.begin(), rules.end(), [](const Argv& a) { return jumps_to_port_chain(a, kFirewallChain); }))
      return {};  // another home's
  }
  for (const char* tool : kTools) {
    if (auto ok = delete_all(r, tool, "INPUT", bridge_jump(spec.bridge)); !ok) return ctx(ok.error());
    drop_chain(r, tool, kFirewallChain);
  }
  return {};
}

std::vector<std::uint16_t> sandbox_facing_ports(std::uint16_t tunnel_port) {
  std::vector<std::uint16_t> ports{tunnel_port};
  for (int offset : {1, int{kHttpsPortOffset}, int{kDnsPortOffset}})
    if (tunnel_port + offset <= 65535) ports.push_back(static_cast<std::uint16_t>(tunnel_port + offset));
  return ports;
}

util::Result<std::optional<FirewallSpec>> read_firewall_record(const Paths& paths) {
  auto record = util::read_file_nofollow(firewall_state_path(paths));
  if (!record) {
    if (record.error().kind == util::ErrorKind::not_found) return std::nullopt;
    return std::unexpected(record.error().context("reading the firewall record"));
  }
  // "<subnet> <tunnel port> <bridge> <gateway>"; older versions wrote the
  // first one or two words only.
  std::istringstream words(*record);
  FirewallSpec spec;
  unsigned port = 0;
  words >> spec.subnet;
  if (!(words >> port) || port > 65535) port = 0;
  words >> spec.bridge >> spec.gateway;
  if (spec.subnet.empty()) return std::nullopt;
  spec.ports = port == 0 ? std::vector<std::uint16_t>{0} : sandbox_facing_ports(static_cast<std::uint16_t>(port));
  return spec;
}

util::Result<void> write_firewall_record(const Paths& paths, const FirewallSpec& spec) {
  const std::string line = spec.subnet + " " + std::to_string(spec.ports.empty() ? 0 : spec.ports.front()) +
                           " " + spec.bridge + " " + spec.gateway + "\n";
  return util::with_context(util::write_file_atomic(firewall_state_path(paths), line, 0600),
                            "recording the firewall");
}

util::Result<std::string> remove_recorded_firewall(const Paths& paths, IptablesRunner& r) {
  SR_ASSIGN(auto spec, read_firewall_record(paths));
  if (!spec) return std::string();
  SR_TRY(remove_firewall(*spec, r));
  std::error_code ec;
  std::filesystem::remove(firewall_state_path(paths), ec);
  return spec->subnet;
}

util::Result<bool> reapply_recorded_firewall(const Paths& paths, IptablesRunner& r) {
  SR_ASSIGN(auto spec, read_firewall_record(paths));
  if (!spec || spec->bridge.empty() || spec->gateway.empty() || spec->ports.front() == 0) return false;
  SR_TRY(install_firewall(*spec, r));
  return true;
}

}  // namespace sr::egress
