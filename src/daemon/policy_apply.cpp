#include "daemon/policy_apply.hpp"

#include <algorithm>

#include "egress/config.hpp"
#include "daemon/daemon_probe.hpp"
#include "daemon/daemon_state.hpp"
#include "egress/declared_secrets.hpp"
#include "egress/mappings.hpp"
#include "daemon/reload_client.hpp"
#include "egress/render_settings.hpp"
#include "egress/tokens.hpp"
#include "proxyconf/proxy_config.hpp"
#include "util/atomic_file.hpp"

namespace sr::daemon {
namespace {

bool mapped(const egress::Mappings& m, const std::string& env_name) {
  return std::any_of(m.tokens.begin(), m.tokens.end(), [&](const egress::Mapping& t) { return t.env_name == env_name; });
}

// What reconcile() should keep or mint: every known credential already
// mapped, plus those whose value is present now.
egress::Discovery wanted(std::span<const egress::Provider> table, const egress::Mappings& old, const egress::PresenceLookup& present) {
  egress::Discovery d;
  for (const auto& p : table) {
    std::optional<egress::CredentialOrigin> origin = present(p.env_name);
    for (const auto& a : p.aliases)
      if (!origin) origin = present(a);
    if (origin || mapped(old, p.env_name))
      d.found.push_back({&p, p.env_name, origin.value_or(egress::CredentialOrigin::environment)});
  }
  return d;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

util::Result<std::vector<std::string>> apply_policy(const egress::Paths& paths, const egress::PresenceLookup& present) {
  std::vector<std::string> notes;
  if (!util::path_exists_nofollow(paths.proxy_yaml())) {
    notes.push_back("egress is not set up here yet: 'sandbox-egress setup' will use these settings");
    return notes;
  }
  SR_ASSIGN(egress::Config config, egress::load_config(paths.config()));
  SR_ASSIGN(egress::Mappings old, egress::load_mappings(paths.mappings()));
  SR_ASSIGN(auto current, util::with_context(proxyconf::load(paths.proxy_yaml()), "reading proxy.yaml"));
  SR_ASSIGN(HostPort tunnel, util::with_context(dial_address(current.tunnel_listen), "proxy.yaml tunnel_listen"));

  const auto table = egress::known_providers(config.secrets);
  egress::ReconcileReport report;
  SR_ASSIGN(egress::Mappings fresh, egress::reconcile(old, wanted(table, old, present), egress::TokenPolicy::keep_existing, report));
  if (!report.minted.empty() || !report.dropped.empty()) SR_TRY(egress::save_mappings(paths.mappings(), fresh));
  if (!report.minted.empty()) notes.push_back("token: new proxy token for " + joined(report.minted));
  if (!report.dropped.empty()) notes.push_back("token: dropped " + joined(report.dropped) + " (no longer declared)");

  SR_ASSIGN(auto model, egress::render_settings(config, fresh, paths, tunnel.host));
  SR_TRY(util::with_context(util::write_file_atomic(paths.proxy_yaml(), proxyconf::render(model), 0600),
                            "writing proxy.yaml"));
  notes.push_back("proxy.yaml: " + paths.proxy_yaml().string() + " rendered (" +
                  std::to_string(model.allowlist.size()) + " allowed hosts, " +
                  std::to_string(model.secrets.size()) + " credentials)");

  DaemonState d = inspect_daemon(paths, config);
  if (!d.alive || !d.ours) {
    notes.push_back("daemon: not running; 'sandbox-egress start' uses the new rules");
  } else if (!report.minted.empty()) {
    notes.push_back("daemon: pid " + std::to_string(*d.pid) + " has no value for " + joined(report.minted) +
                    "; run 'sandbox-egress restart' to use the new rules");
  } else {
    SR_TRY(util::with_context(reload_daemon(paths, config), "reloading the egress daemon"));
    notes.push_back("daemon: pid " + std::to_string(*d.pid) + " reloaded the new rules (connections kept)");
  }
  return notes;
}

}  // namespace sr::daemon
