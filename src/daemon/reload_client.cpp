#include "daemon/reload_client.hpp"

#include <nlohmann/json.hpp>

#include "daemon/daemon_probe.hpp"
#include "daemon/daemon_state.hpp"
#include "daemon/pidfile.hpp"
#include "proxyconf/proxy_config.hpp"

namespace sr::daemon {
namespace {

// The engine's reason from a JSON error body ({"error": "..."}), else the body.
std::string reason_of(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) return doc["error"].get<std::string>();
  return body.empty() ? "(no reason given)" : body;
}

// `pc` is proxy.yaml as loaded, used for both the daemon check and the
// management address; null when it did not load, for `load_problem`.
util::Result<void> reload_with(const egress::Paths& paths, const egress::Config& config,
                               const proxyconf::ProxyConfig* pc, std::string_view load_problem) {
  DaemonState st = inspect_daemon(paths, config, pc ? pc->tunnel_listen : std::string());
  if (!st.ours)
    return util::fail(util::ErrorKind::not_found,
                      "the egress daemon is not running (" + st.detail + "); run 'sandbox-egress start'");
  // The engine is the authority on the new file: when it does not parse here,
  // still ask the engine (at the conventional tunnel_port+2 address) so the
  // user gets its 422 reason and the running rules stay as they are.
  std::string listen = "127.0.0.1:" + std::to_string(config.proxy.tunnel_port + 2);
  std::string local_problem;
  if (pc) {
    if (pc->management_listen.empty())
      return util::fail(util::ErrorKind::invalid_argument,
                        "no management listener is configured in " + paths.proxy_yaml().string() +
                            " (management.listen); run 'sandbox-egress setup' then 'sandbox-egress restart'");
    listen = pc->management_listen;
  } else {
    local_problem = " (note: " + std::string(load_problem) + ")";
  }
  SR_ASSIGN(HostPort mgmt, util::with_context(dial_address(listen), "management.listen"));
  SR_ASSIGN(std::string key, util::with_context(read_private_file(paths.management_token()),
                                                "reading the management token"));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  const std::string url = "http://" + util::format_host_port(mgmt.host, mgmt.port) + "/v1/reload";
  auto reply = post_management(mgmt, "/v1/reload", key);
  if (!reply)
    return util::fail(util::ErrorKind::connect, "the management listener is unreachable: " + reply.error().message +
                                                    "; is the daemon healthy? try 'sandbox-egress restart'" + local_problem);
  switch (reply->status) {
    case 200: return {};
    case 401:
      return util::fail(util::ErrorKind::permission_denied,
                        "the daemon rejected the management key (401 unauthorized): it was started with another "
                        "key; run 'sandbox-egress restart'");
    case 422:
      return util::fail(util::ErrorKind::api, "the daemon rejected the new configuration (422): " +
                                                  reason_of(reply->body) + "; the running rules are unchanged");
    default:
      return util::fail(util::ErrorKind::api, "POST " + url + ": HTTP " + std::to_string(reply->status) + ": " +
                                                  reason_of(reply->body));
  }
}

}  // namespace

util::Result<void> reload_daemon(const egress::Paths& paths, const egress::Config& config) {
  auto pc = proxyconf::load(paths.proxy_yaml());
  return reload_with(paths, config, pc ? &*pc : nullptr, pc ? std::string_view() : pc.error().message);
}

util::Result<void> reload_daemon(const egress::Paths& paths, const egress::Config& config,
                                 const proxyconf::ProxyConfig& proxy) {
  return reload_with(paths, config, &proxy, {});
}

}  // namespace sr::daemon
