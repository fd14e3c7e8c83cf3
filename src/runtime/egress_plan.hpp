// What a sandbox receives when egress is enabled (docs/user-guide.md) and which
// user-supplied env values would defeat it (docs/troubleshooting.md). Pure logic: no
// Docker, no files; runtime/egress_launch.* gathers the inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "egress/mappings.hpp"

namespace sr::runtime {

inline constexpr std::string_view kCaMountPath = "/etc/ssl/certs/sandbox-egress-ca.crt";
inline constexpr std::string_view kFingerprintLabel = "io.sandbox-run.egress.fingerprint";
inline constexpr std::string_view kProxyHostName = "host.docker.internal";

// One env value the user (or the image) supplies, with where it came from:
// "-e", "--env-file FILE", "config docker_env", "image ENV".
struct EnvSource {
  std::string key;
  std::string value;
  std::string origin;
};

struct EgressInputs {
  const egress::Mappings* mappings = nullptr;
  std::uint16_t tunnel_port = 9090;
  std::string ca_cert_host_path;
  // The address the proxy listens on as the sandbox sees it: "host-gateway"
  // for the default bridge, the internal network's gateway IP otherwise.
  std::string proxy_host_address = "host-gateway";
  std::string network;       // network the sandbox must join ("" = default bridge)
  // The engine's DNS responder as the sandbox's resolver (the internal
  // network's gateway; "" = keep Docker's default).
  std::string dns_server;
  // The allowlist's exact host names: with dns_server set, each is also
  // pinned to it in /etc/hosts (ExtraHosts), so they resolve to the proxy
  // even where Docker's embedded resolver does not forward for an internal
  // network; wildcard entries rely on the DNS responder alone.
  std::vector<std::string> allowlist;
  std::string user_network;  // --network/--net as given ("" = none given)
  std::vector<EnvSource> user_env;  // every source, lowest precedence first
  // Real credential value for a mapped name (canonical or alias), if known.
  std::function<std::optional<std::string>(std::string_view env_name)> real_value;
};

enum class CollisionKind { overrides_proxy_control, overrides_mapped, real_secret, network };

struct Collision {
  CollisionKind kind;
  std::string key;     // env var name, or "--network"
  std::string origin;  // where the offending value came from
  std::string message; // one line, never a secret or token value
};

struct EgressPlan {
  std::vector<std::pair<std::string, std::string>> env;  // injected, in order
  std::string bind;        // "<host ca>:/etc/ssl/certs/sandbox-egress-ca.crt:ro"
  std::string extra_host;  // "host.docker.internal:<address>"
  std::string network;     // "" = leave NetworkMode as the user set it
  std::string dns;         // HostConfig.Dns ("" = leave it)
  std::vector<std::string> pinned_hosts;  // more ExtraHosts: "name:<dns>"
  std::string fingerprint; // sha256 of bind, host entry, network and env
  std::vector<Collision> collisions;
  std::vector<std::string> warnings;
  std::vector<std::string> token_values;  // for redaction in --dry-run output
};

EgressPlan plan_egress(const EgressInputs& in);

// NODE_OPTIONS merge: the user's flags kept in order, `--use-openssl-ca`
// appended once, a conflicting `--use-bundled-ca` removed (warning added).
std::string merge_node_options(std::string_view user_value, std::vector<std::string>& warnings);

// Which variables egress controls (proxy, CA bundle, NODE_OPTIONS, marker).
bool is_proxy_control_var(std::string_view key);

enum class UserWins { no, yes };

// Writes the plan into a POST /containers/create body: Env (injected values
// replace the user's unless user_wins), HostConfig.Binds, ExtraHosts,
// NetworkMode, Labels.
void apply_egress(const EgressPlan& plan, nlohmann::json& body, UserWins user_wins);

}  // namespace sr::runtime
