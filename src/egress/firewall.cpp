#include "egress/firewall.hpp"

#include <boost/process/child.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>

#include "util/atomic_file.hpp"

namespace sr::egress {
namespace {

namespace bp = boost::process;
using Argv = std::vector<std::string>;

class BoostRunner final : public CommandRunner {
 public:
  util::Result<int> run(const Argv& argv) override {
    auto exe = bp::search_path(argv.at(0));
    if (exe.empty())
      return util::fail(util::ErrorKind::not_found,
                        argv[0] + " not found on PATH (install the iptables package)");
    std::error_code ec;
    bp::child child(exe, Argv(argv.begin() + 1, argv.end()), bp::std_out > bp::null,
                    bp::std_err > bp::null, bp::std_in < bp::null, ec);
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

}  // namespace

CommandRunner& system_command_runner() {
  static BoostRunner runner;
  return runner;
}

util::Result<void> install_firewall(const FirewallSpec& spec, CommandRunner& r) {
  auto ctx = [&](util::Error e) { return std::unexpected(e.context("installing the egress firewall")); };
  // -N fails when the chain exists; -F then empties it either way.
  (void)r.run({"iptables", "-w", "-N", kFirewallChain});
  if (auto ok = must(r, {"iptables", "-w", "-F", kFirewallChain}); !ok) return ctx(ok.error());
  std::vector<Argv> rules = {{"iptables", "-w", "-A", kFirewallChain, "-m", "conntrack",
                              "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"}};
  for (auto port : spec.ports)
    rules.push_back({"iptables", "-w", "-A", kFirewallChain, "-p", "tcp", "-d", spec.gateway,
                     "--dport", std::to_string(port), "-j", "ACCEPT"});
  rules.push_back({"iptables", "-w", "-A", kFirewallChain, "-j", "REJECT"});
  for (const auto& rule : rules)
    if (auto ok = must(r, rule); !ok) return ctx(ok.error());
  auto present = r.run(jump("-C", spec.subnet));
  if (!present) return ctx(present.error());
  if (*present != 0)
    if (auto ok = must(r, jump("-I", spec.subnet)); !ok) return ctx(ok.error());
  return {};
}

util::Result<void> remove_firewall(const std::string& subnet, CommandRunner& r) {
  // Delete every copy of the jump, then the chain; each may already be gone.
  for (int i = 0; i < 16; ++i) {
    auto st = r.run(jump("-D", subnet));
    if (!st) return std::unexpected(st.error().context("removing the egress firewall"));
    if (*st != 0) break;
  }
  (void)r.run({"iptables", "-w", "-F", kFirewallChain});
  (void)r.run({"iptables", "-w", "-X", kFirewallChain});
  return {};
}

util::Result<std::string> remove_recorded_firewall(const Paths& paths, CommandRunner& r) {
  const auto state = firewall_state_path(paths);
  auto subnet = util::read_file_nofollow(state);
  if (!subnet) {
    if (subnet.error().kind == util::ErrorKind::not_found) return std::string();
    return std::unexpected(subnet.error().context("reading the firewall record"));
  }
  while (!subnet->empty() && (subnet->back() == '\n' || subnet->back() == ' ')) subnet->pop_back();
  SR_TRY(remove_firewall(*subnet, r));
  std::error_code ec;
  std::filesystem::remove(state, ec);
  return *subnet;
}

}  // namespace sr::egress
