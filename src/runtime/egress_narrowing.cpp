#include "runtime/egress_narrowing.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <random>

#include "daemon/reload_client.hpp"
#include "egress/narrowing_registry.hpp"
#include "egress/network_seam.hpp"
#include "egress/profiles.hpp"
#include "proxyconf/proxy_config.hpp"
#include "runtime/egress_network.hpp"
#include "util/random.hpp"

namespace sr::runtime {
namespace {

using util::ErrorKind;

constexpr std::string_view kOptions = "--egress-allow/--egress-profile";

util::Error refused(std::string why) {
  return util::Error{ErrorKind::security, std::string(kOptions) + ": " + why, 0};
}

// Narrowing is enforced only where the source address is the sandbox's own
// and the engine reads narrowings.json: the built-in engine, on the internal
// network (on the default bridge the engine sees the host's NAT'd address).
util::Result<void> check_supported(const egress::Config& config) {
  if (!config.proxy.enabled)
    return std::unexpected(refused("egress is not enabled (proxy.enabled: false); a narrowing needs the proxy"));
  if (config.proxy.engine != egress::Engine::builtin)
    return std::unexpected(refused("the iron-proxy engine has no per-sandbox allowlist; set proxy.engine: builtin "
                                   "(sandbox-egress config set proxy.engine builtin) and restart"));
  if (config.proxy.isolation != egress::Isolation::internal)
    return std::unexpected(refused("needs proxy.isolation: internal (on the default bridge the engine cannot tell "
                                   "sandboxes apart by address)"));
  return {};
}

util::Result<std::set<std::string>> labelled_ids(docker::Client& client) {
  SR_ASSIGN(auto list, client.list_containers({{"label", {std::string(egress::kNarrowingLabel)}}},
                                              docker::Client::All::yes));
  std::set<std::string> ids;
  for (const auto& c : list)
    if (c.contains("Labels") && c["Labels"].contains(egress::kNarrowingLabel))
      ids.insert(c["Labels"][std::string(egress::kNarrowingLabel)].get<std::string>());
  return ids;
}

bool process_alive(std::int64_t pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

// The network's subnet and gateway, and the addresses its containers hold.
struct NetworkView {
  std::string subnet;
  std::string gateway;
  std::set<std::string> used;
};

util::Result<NetworkView> network_view(docker::Client& client) {
  const std::string name(egress::kInternalNetworkName);
  SR_ASSIGN(auto n, client.inspect_network(name));
  SR_ASSIGN(auto net, internal_network_from_inspect(n));
  if (net.ipv6)
    return std::unexpected(refused("network " + name + " has IPv6 enabled: a sandbox's second address would not be "
                                   "narrowed"));
  NetworkView v{net.subnet, net.gateway, {}};
  if (n.contains("Containers") && n["Containers"].is_object())
    for (const auto& [id, c] : n["Containers"].items()) {
      std::string a = c.value("IPv4Address", "");
      v.used.insert(a.substr(0, a.find('/')));
    }
  return v;
}

void apply_address(RunSpec& spec, const RegisteredNarrowing& n) {
  auto& body = spec.create_body;
  body["Labels"][std::string(egress::kNarrowingLabel)] = n.id;
  body["NetworkingConfig"]["EndpointsConfig"][std::string(egress::kInternalNetworkName)]["IPAMConfig"]
      ["IPv4Address"] = n.address;
}

}  // namespace

util::Result<std::optional<RegisteredNarrowing>> register_narrowing(RunSpec& spec, const egress::Paths& paths,
                                                                    const egress::Config& config,
                                                                    const proxyconf::ProxyConfig& proxy,
                                                                    docker::Client& client) {
  egress::NarrowRequest request{spec.egress_allow, spec.egress_profiles};
  if (request.empty()) return std::nullopt;
  SR_TRY(check_supported(config));
  SR_ASSIGN(auto narrowed, egress::resolve_narrowing(request, config.profiles, proxy.allowlist, paths.config().string()));
  SR_ASSIGN(auto net, util::with_context(network_view(client), kOptions));
  SR_ASSIGN(auto id, util::random_hex(16));
  std::mt19937_64 rng(std::random_device{}());
  auto pick = [&](const std::set<std::string>& taken) {
    std::set<std::string> all = taken;
    all.insert(net.used.begin(), net.used.end());
    return egress::pick_address(net.subnet, net.gateway, all, rng);
  };
  egress::Liveness live{[&client] { return labelled_ids(client); }, process_alive};
  proxyconf::SandboxNarrowing entry{id, "", narrowed.label, narrowed.hosts, ::getpid(),
                                    std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count()};
  auto added = egress::add_narrowing(paths, entry, live, pick);
  if (!added) return std::unexpected(refused("registering the sandbox with the engine: " + added.error().message));
  // The container is created only once the running engine has the entry:
  // its first request already meets the narrowing.
  if (auto r = sr::daemon::reload_daemon(paths, config, proxy); !r) {
    (void)egress::remove_narrowing(paths, id);
    return std::unexpected(refused("the egress engine did not load the narrowing, the sandbox is not started: " +
                                   r.error().message));
  }
  RegisteredNarrowing reg{id, added->address, narrowed.label};
  apply_address(spec, reg);
  return reg;
}

std::optional<std::string> release_narrowing(const RegisteredNarrowing& n, const egress::Paths& paths,
                                             const egress::Config& config, docker::Client& client) {
  auto ids = labelled_ids(client);
  if (!ids) return "keeping the narrowing of " + n.address + ": " + ids.error().message;
  if (ids->contains(n.id)) return std::nullopt;  // the container lives on (-d, or no --rm)
  if (auto r = egress::remove_narrowing(paths, n.id); !r) return r.error().message;
  // proxy.yaml is read afresh: the sandbox may have run for hours, during
  // which a setup or restart can have moved the listeners.
  if (auto r = sr::daemon::reload_daemon(paths, config); !r)
    return "the narrowing of " + n.address + " stays loaded until the next reload: " + r.error().message;
  return std::nullopt;
}

}  // namespace sr::runtime
