#include "egress/firewall.hpp"

#include <algorithm>
#include <iterator>
#include <sstream>

#include <boost/process/child.hpp>
#include <boost/process/io.hpp>
#include <boost/process/pipe.hpp>
#include <boost/process/search_path.hpp>

#include "util/atomic_file.hpp"

namespace sr::egress {
namespace {

namespace bp = boost::process;
using Argv = std::vector<std::string>;

class BoostRunner final : public CommandRunner {
 public:
  util::Result<int> run(const Argv& argv) override {
    SR_ASSIGN(auto exe, find(argv));
    std::error_code ec;
    bp::child child(exe, Argv(argv.begin() + 1, argv.end()), bp::std_out > bp::null,
                    bp::std_err > bp::null, bp::std_in < bp::null, ec);
    return finish(child, argv, ec);
  }

  util::Result<std::string> output(const Argv& argv) override {
    SR_ASSIGN(auto exe, find(argv));
    std::error_code ec;
    bp::ipstream out;
    bp::child child(exe, Argv(argv.begin() + 1, argv.end()), bp::std_out > out,
                    bp::std_err > bp::null, bp::std_in < bp::null, ec);
    std::string text, line;
    while (!ec && std::getline(out, line)) text += line + "\n";
    SR_ASSIGN(int status, finish(child, argv, ec));
    if (status != 0)
      return util::fail(util::ErrorKind::io, "`" + argv[0] + "` exited with status " + std::to_string(status));
    return text;
  }

 private:
  static util::Result<boost::filesystem::path> find(const Argv& argv) {
    auto exe = bp::search_path(argv.at(0));
    if (exe.empty())
      return util::fail(util::ErrorKind::not_found,
                        argv[0] + " not found on PATH (install the iptables package)");
    return exe;
  }

  static util::Result<int> finish(bp::child& child, const Argv& argv, std::error_code ec) {
    if (ec) return util::fail(util::ErrorKind::io, "running " + argv[0] + ": " + ec.message());
    child.wait(ec);
    if (ec) return util::fail(util::ErrorKind::io, "waiting for " + argv[0] + ": " + ec.message());
    return child.exit_code();
  }
};

std::string join(const Argv& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

util::Result<void> must(CommandRunner& r, const Argv& argv) {
  SR_ASSIGN(int status, r.run(argv));
  if (status != 0)
    return util::fail(util::ErrorKind::io,
                      "`" + join(argv) + "` exited with status " + std::to_string(status) +
                          " (are you root, and is the iptables package installed?)");
  return {};
}

// The host's own connections to the gateway also carry a source inside the
// subnet, but arrive on lo: only traffic from the bridge is filtered.
Argv jump(std::string_view op, const std::string& subnet) {
  return {"iptables", "-w", std::string(op), "INPUT", "-s", subnet, "!", "-i", "lo",
          "-j", kFirewallChain};
}

Argv rule(std::string_view op, std::string_view chain, Argv spec) {
  Argv argv{"iptables", "-w", std::string(op), std::string(chain)};
  argv.insert(argv.end(), spec.begin(), spec.end());
  return argv;
}

// Adds `spec` to `chain` unless an identical rule is there (-C).
util::Result<void> ensure(CommandRunner& r, std::string_view chain, const Argv& spec, bool first) {
  SR_ASSIGN(int present, r.run(rule("-C", chain, spec)));
  if (present == 0) return {};
  if (first) {
    Argv at{"1"};
    at.insert(at.end(), spec.begin(), spec.end());
    return must(r, rule("-I", chain, at));
  }
  return must(r, rule("-A", chain, spec));
}

// The rules of `iptables -S <chain>` ("-A CHAIN arg..."), split on blanks
// (iptables prints no quoted arguments for the rules this file writes).
std::vector<Argv> list_rules(CommandRunner& r, std::string_view chain) {
  std::vector<Argv> rules;
  auto text = r.output({"iptables", "-w", "-S", std::string(chain)});
  if (!text) return rules;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    Argv argv{std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
    if (argv.size() > 2 && argv[0] == "-A") rules.emplace_back(argv.begin() + 2, argv.end());
  }
  return rules;
}

bool jumps_to_port_chain(const Argv& spec) {
  return spec.size() == 2 && spec[0] == "-j" && spec[1].starts_with(std::string(kFirewallChain) + "-");
}

const Argv kEstablished{"-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"};
const Argv kReject{"-j", "REJECT"};

}  // namespace

std::string port_chain(std::uint16_t tunnel_port) {
  return std::string(kFirewallChain) + "-" + std::to_string(tunnel_port);
}

CommandRunner& system_command_runner() {
  static BoostRunner runner;
  return runner;
}

util::Result<void> install_firewall(const FirewallSpec& spec, CommandRunner& r) {
  auto ctx = [&](util::Error e) { return std::unexpected(e.context("installing the egress firewall")); };
  if (spec.ports.empty()) return util::fail(util::ErrorKind::invalid_argument, "installing the egress firewall: no port");
  const std::string mine = port_chain(spec.ports.front());
  // -N fails when a chain exists; -F then empties this port's chain either way.
  (void)r.run({"iptables", "-w", "-N", mine});
  if (auto ok = must(r, {"iptables", "-w", "-F", mine}); !ok) return ctx(ok.error());
  for (auto port : spec.ports)
    if (auto ok = must(r, rule("-A", mine, {"-p", "tcp", "-d", spec.gateway, "--dport", std::to_string(port),
                                            "-j", "ACCEPT"}));
        !ok)
      return ctx(ok.error());

  (void)r.run({"iptables", "-w", "-N", kFirewallChain});
  // An older version accepted the proxy ports in the shared chain itself.
  for (const auto& old : list_rules(r, kFirewallChain))
    if (std::find(old.begin(), old.end(), "--dport") != old.end()) (void)r.run(rule("-D", kFirewallChain, old));
  // Per-port jumps go first, so they always precede the final REJECT.
  for (const auto& [s, first] : {std::pair{Argv{"-j", mine}, true}, std::pair{kEstablished, false},
                                 std::pair{kReject, false}})
    if (auto ok = ensure(r, kFirewallChain, s, first); !ok) return ctx(ok.error());
  auto present = r.run(jump("-C", spec.subnet));
  if (!present) return ctx(present.error());
  if (*present != 0)
    if (auto ok = must(r, jump("-I", spec.subnet)); !ok) return ctx(ok.error());
  return {};
}

util::Result<void> remove_firewall(const std::string& subnet, std::uint16_t tunnel_port, CommandRunner& r) {
  auto ctx = [](util::Error e) { return std::unexpected(e.context("removing the egress firewall")); };
  if (tunnel_port != 0) {
    const std::string mine = port_chain(tunnel_port);
    for (int i = 0; i < 16; ++i) {
      auto st = r.run(rule("-D", kFirewallChain, {"-j", mine}));
      if (!st) return ctx(st.error());
      if (*st != 0) break;
    }
    (void)r.run({"iptables", "-w", "-F", mine});
    (void)r.run({"iptables", "-w", "-X", mine});
    auto rules = list_rules(r, kFirewallChain);
    if (std::any_of(rules.begin(), rules.end(), jumps_to_port_chain)) return {};  // another home's
  }
  // Delete every copy of the jump, then the shared chain; each may be gone.
  for (int i = 0; i < 16; ++i) {
    auto st = r.run(jump("-D", subnet));
    if (!st) return ctx(st.error());
    if (*st != 0) break;
  }
  (void)r.run({"iptables", "-w", "-F", kFirewallChain});
  (void)r.run({"iptables", "-w", "-X", kFirewallChain});
  return {};
}

util::Result<std::string> remove_recorded_firewall(const Paths& paths, CommandRunner& r) {
  const auto state = firewall_state_path(paths);
  auto record = util::read_file_nofollow(state);
  if (!record) {
    if (record.error().kind == util::ErrorKind::not_found) return std::string();
    return std::unexpected(record.error().context("reading the firewall record"));
  }
  // "<subnet> <tunnel port>"; an older version wrote the subnet alone.
  std::istringstream words(*record);
  std::string subnet;
  unsigned port = 0;
  words >> subnet;
  if (!(words >> port) || port > 65535) port = 0;
  if (subnet.empty()) return std::string();
  SR_TRY(remove_firewall(subnet, static_cast<std::uint16_t>(port), r));
  std::error_code ec;
  std::filesystem::remove(state, ec);
  return subnet;
}

}  // namespace sr::egress
