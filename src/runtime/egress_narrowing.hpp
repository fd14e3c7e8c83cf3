// `sandbox-run --egress-allow HOST` / `--egress-profile NAME`: one sandbox
// limited to a subset of the allowlist, enforced by the built-in engine by
// the sandbox's source address on the egress network (docs/security-model.md,
// "Per-sandbox narrowing").
//
// register_narrowing, before the container is created and after the egress
// checks (runtime/egress_launch.hpp), with the proxy.yaml they loaded:
// resolves the subset of its allowlist (egress/profiles.hpp), picks a free address on the internal network,
// records address -> hosts in narrowings.json, has the running engine reload
// it (POST /v1/reload) and only then gives the create body that fixed
// address (EndpointsConfig IPAMConfig) and the entry's label. Any failure is
// an ErrorKind::security error naming the option; the entry is removed again.
//
// release_narrowing, after the launch: removes the entry once no container
// carries its label (the --rm exit, a failed create); a sandbox that lives on
// (-d, no --rm) keeps it until a later launch prunes it.
#pragma once

#include <optional>
#include <string>

#include "docker/client.hpp"
#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "proxyconf/proxy_config.hpp"
#include "runtime/run_spec.hpp"
#include "util/error.hpp"

namespace sr::runtime {

struct RegisteredNarrowing {
  std::string id;
  std::string address;
  std::string label;
};

util::Result<std::optional<RegisteredNarrowing>> register_narrowing(RunSpec& spec, const egress::Paths& paths,
                                                                    const egress::Config& config,
                                                                    const proxyconf::ProxyConfig& proxy,
                                                                    docker::Client& client);

// Problems are returned as warnings (the entry only narrows).
std::optional<std::string> release_narrowing(const RegisteredNarrowing& n, const egress::Paths& paths,
                                             const egress::Config& config, docker::Client& client);

}  // namespace sr::runtime
