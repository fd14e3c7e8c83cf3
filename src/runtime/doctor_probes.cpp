#include "runtime/doctor_probes.hpp"

#include <cstdlib>

#include "daemon/pidfile.hpp"
#include "daemon/reload_client.hpp"
#include "docker/client.hpp"
#include "egress/network_seam.hpp"
#include "runtime/egress_launch.hpp"
#include "util/digest.hpp"
#include "util/random.hpp"

namespace sr::runtime {
namespace {

CheckResult result(std::string name, CheckStatus s, std::string detail, std::string fix = {}) {
  return {std::move(name), s, std::move(detail), std::move(fix)};
}


nlohmann::json probe_container(const ProbeContext& ctx) {
  const bool internal = ctx.config.proxy.isolation == egress::Isolation::internal;
  const std::string address = internal ? proxy_listen_host(ctx.proxy->tunnel_listen) : "host-gateway";
  const std::string cmd = "nc -w 3 host.docker.internal " +
                          std::to_string(ctx.config.proxy.tunnel_port) + " </dev/null";
  nlohmann::json host = {{"ExtraHosts", {"host.docker.internal:" + address}}};
  if (internal) host["NetworkMode"] = std::string(egress::kInternalNetworkName);
  return {{"Image", ctx.image},
          {"Cmd", {"sh", "-c", cmd}},
          {"Labels", {{"io.sandbox-run.doctor", "1"}}},
          {"HostConfig", host}};
}

// Wait registered before start, so a probe that exits at once is not missed.
util::Result<docker::WaitOutcome> run_to_exit(docker::Client& client, const std::string& id) {
  SR_ASSIGN(auto wait, client.wait_container(id, docker::WaitCondition::next_exit));
  SR_TRY(client.start_container(id));
  return wait->get();
}

}  // namespace

CheckResult check_reachability(const ProbeContext& ctx) {
  const std::string name = "reachability";
  if (!ctx.docker)
    return result(name, CheckStatus::fail, "Docker daemon not reachable", "start dockerd, or point DOCKER_HOST at it");
  if (!ctx.proxy) return result(name, CheckStatus::skip, "proxy config not readable");
  if (!ctx.daemon || !ctx.daemon->listening) return result(name, CheckStatus::skip, "daemon not listening");
  if (!ctx.docker->inspect_image(ctx.image)) {
    // Missing: pulled, so the probe runs on a normal machine instead of
    // reporting skip (tests name a local image and never get here).
    auto ref = docker::parse_image_ref(ctx.image);
    auto pulled = ref ? ctx.docker->pull_image(*ref, "", [](const nlohmann::json&) {})
                      : util::Result<void>(std::unexpected(ref.error()));
    if (!pulled)
      return result(name, CheckStatus::fail, "probe image " + ctx.image + ": " + pulled.error().message,
                    "sandbox-egress doctor --image IMAGE (any local image with busybox nc)");
  }
  auto created = ctx.docker->create_container(probe_container(ctx), {});
  if (!created) return result(name, CheckStatus::fail, created.error().message, "check the sandbox network");
  auto outcome = run_to_exit(*ctx.docker, created->id);
  (void)ctx.docker->remove_container(created->id, docker::Force::yes);
  if (!outcome) return result(name, CheckStatus::fail, outcome.error().message);
  if (outcome->status_code != 0)
    return result(name, CheckStatus::fail,
                  "a container on the sandbox network cannot connect to the proxy port " +
                      std::to_string(ctx.config.proxy.tunnel_port),
                  "check the host firewall and `sandbox-egress setup` (isolation, bind address)");
  return result(name, CheckStatus::pass,
                "a container on the sandbox network connects to the proxy port " +
                    std::to_string(ctx.config.proxy.tunnel_port));
}

CheckResult check_canary(const ProbeContext& ctx) {
  const std::string name = "canary";
  if (ctx.config.proxy.engine != egress::Engine::builtin)
    return result(name, CheckStatus::skip, "the iron-proxy engine has no canary endpoint");
  if (!ctx.daemon || !ctx.daemon->ours) return result(name, CheckStatus::skip, "daemon not running");
  if (!ctx.mappings || ctx.mappings->tokens.empty()) return result(name, CheckStatus::skip, "no mappings");
  auto key = sr::daemon::read_private_file(ctx.paths.management_token());
  if (!key) return result(name, CheckStatus::fail, key.error().message, "sandbox-egress setup");
  while (!key->empty() && (key->back() == '\n' || key->back() == '\r')) key->pop_back();
  auto nonce = util::random_hex(16);
  if (!nonce) return result(name, CheckStatus::fail, nonce.error().message);
  const util::HostPort management{"127.0.0.1", static_cast<std::uint16_t>(ctx.config.proxy.tunnel_port + 2)};
  auto reply = sr::daemon::post_management(management, "/v1/canary?nonce=" + *nonce, *key);
  if (!reply) return result(name, CheckStatus::fail, reply.error().message, "sandbox-egress restart");
  if (reply->status != 200)
    return result(name, CheckStatus::fail, "canary answered HTTP " + std::to_string(reply->status),
                  "sandbox-egress restart");
  auto body = nlohmann::json::parse(reply->body, nullptr, false);
  if (!body.is_object() || !body["secrets"].is_array())
    return result(name, CheckStatus::fail, "canary answer is not the expected JSON");
  int swapped = 0, verified = 0;
  for (const auto& s : body["secrets"]) {
    const std::string env = s.value("name", "");
    if (!s.value("swapped", false))
      return result(name, CheckStatus::fail, "token for " + env + " was not replaced",
                    "export " + env + " and run `sandbox-egress restart`");
    ++swapped;
    if (const char* v = std::getenv(env.c_str())) {
      if (util::hmac_sha256_hex(*nonce, v) != s.value("value_hmac", ""))
        return result(name, CheckStatus::fail,
                      "the daemon swaps " + env + " for a different value than this environment's",
                      "sandbox-egress restart (the daemon reads credentials at start)");
      ++verified;
    }
  }
  return result(name, CheckStatus::pass,
                std::to_string(swapped) + " token(s) replaced inside the engine, " +
                    std::to_string(verified) + " matching this environment's value");
}

}  // namespace sr::runtime
