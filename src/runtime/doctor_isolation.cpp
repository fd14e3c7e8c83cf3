// The doctor's isolation checks: the egress network's settings, the host
// firewall bound to its bridge (IPv4 and IPv6), and the sandboxes' runtime.
#include "runtime/doctor_isolation.hpp"

#include "docker/client.hpp"
#include "egress/firewall.hpp"
#include "egress/firewall_backend.hpp"
#include "egress/network_seam.hpp"
#include "runtime/egress_network.hpp"
#include "runtime/launch_guard.hpp"

namespace sr::runtime {
namespace {

CheckResult result(std::string name, CheckStatus s, std::string detail, std::string fix = {}) {
  return {std::move(name), s, std::move(detail), std::move(fix)};
}

constexpr const char* kDockerFix = "start dockerd, or point DOCKER_HOST at it";

util::Result<egress::InternalNetwork> current_network(docker::Client& client) {
  SR_ASSIGN(auto n, client.inspect_network(egress::kInternalNetworkName));
  return internal_network_from_inspect(n);
}

}  // namespace

CheckResult check_network(const IsolationContext& ctx) {
  const std::string name = "network";
  if (ctx.config.proxy.isolation != egress::Isolation::internal)
    return result(name, CheckStatus::warn, "isolation: bridge: sandboxes have a route out",
                  "set proxy.isolation: internal, then sandbox-egress setup");
  if (!ctx.docker) return result(name, CheckStatus::fail, "Docker daemon not reachable", kDockerFix);
  auto net = current_network(*ctx.docker);
  if (!net) return result(name, CheckStatus::fail, net.error().message, "sandbox-egress setup");
  if (auto wrong = egress::network_mismatch(*net, ctx.config.sandbox.allow_sandbox_to_sandbox))
    return result(name, CheckStatus::fail, *wrong,
                  "docker network rm " + net->name + " && sandbox-egress setup");
  return result(name, CheckStatus::pass,
                net->name + " on " + net->bridge + ": internal, IPv6 off, sandbox-to-sandbox " +
                    (net->icc ? "allowed (sandbox.allow_sandbox_to_sandbox)" : "off"));
}

CheckResult check_firewall(const IsolationContext& ctx) {
  const std::string name = "firewall";
  if (ctx.config.proxy.isolation != egress::Isolation::internal)
    return result(name, CheckStatus::skip, "isolation: bridge installs no host rules");
  auto spec = egress::read_firewall_record(ctx.paths);
  if (!spec) return result(name, CheckStatus::fail, spec.error().message, "sandbox-egress setup");
  if (!*spec || (*spec)->bridge.empty())
    return result(name, CheckStatus::fail,
                  *spec ? "the rules are of an older layout (source address, IPv4 only)"
                        : "no host rules recorded for this state home",
                  "sandbox-egress setup");
  if (!ctx.docker) return result(name, CheckStatus::fail, "Docker daemon not reachable", kDockerFix);
  if (auto net = current_network(*ctx.docker); net && net->bridge != (*spec)->bridge)
    return result(name, CheckStatus::fail,
                  "the rules match " + (*spec)->bridge + " but " + net->name + " is now on " + net->bridge,
                  "sandbox-egress setup");
  auto& runner = egress::system_iptables_runner();
  if (auto stale = egress::other_backend_rules(runner); !stale.empty()) {
    std::string detail;
    for (const auto& s : stale) detail += (detail.empty() ? "" : "; ") + s;
    return result(name, CheckStatus::fail, detail + " (they reject this home's proxy ports)",
                  egress::other_backend_fix(egress::iptables_backend(runner)));
  }
  auto problems = egress::firewall_problems(**spec, runner);
  if (!problems.empty()) {
    std::string detail;
    for (const auto& p : problems) detail += (detail.empty() ? "" : "; ") + p;
    return result(name, CheckStatus::fail, detail, "sandbox-egress start (re-applies the rules)");
  }
  return result(name, CheckStatus::pass,
                "iptables and ip6tables (" + std::string(egress::backend_name(egress::iptables_backend(runner))) +
                    "): " + (*spec)->bridge + " reaches only " + (*spec)->gateway + ":" +
                    std::to_string((*spec)->ports.front()) + "-" + std::to_string((*spec)->ports.back()));
}

CheckResult check_runtime(const IsolationContext& ctx) {
  const std::string name = "runtime";
  if (!ctx.docker) return result(name, CheckStatus::fail, "Docker daemon not reachable", kDockerFix);
  auto info = ctx.docker->info();
  if (!info) return result(name, CheckStatus::fail, info.error().message, kDockerFix);
  const std::string& wanted = ctx.config.sandbox.runtime;
  std::string offered;
  const nlohmann::json runtimes = info->value("Runtimes", nlohmann::json::object());
  if (runtimes.is_object())
    for (const auto& [rt, _] : runtimes.items()) offered += (offered.empty() ? "" : ", ") + rt;
  if (!wanted.empty())
    if (auto why = unknown_runtime(wanted, *info))
      return result(name, CheckStatus::fail, *why, "register it in daemon.json, or remove sandbox.runtime");
  const std::string used = wanted.empty() ? info->value("DefaultRuntime", "runc") + " (the daemon's default)"
                                          : wanted + " (sandbox.runtime)";
  const bool kernel_boundary = used.starts_with("runsc") || used.starts_with("kata");
  return result(name, kernel_boundary ? CheckStatus::pass : CheckStatus::warn,
                "sandboxes run under " + used + "; the daemon offers: " + offered,
                kernel_boundary ? "" : "for a kernel boundary, register gVisor (runsc) and set sandbox.runtime: runsc");
}

}  // namespace sr::runtime
