// The sandbox-egress commands this library implements. Each parses its own
// flags and returns the exit code: 0 success, 1 failure, 2 usage.
#pragma once

#include <functional>
#include <span>
#include <vector>
#include <string>

#include "egress/network_seam.hpp"
#include "util/error.hpp"

namespace sr::cli {

// `network` provides the internal Docker network (isolation: internal); null
// when the caller has no Docker access (setup then falls back with a warning).
int cmd_setup(std::span<const std::string> args, egress::SandboxNetwork* network);
int cmd_status(std::span<const std::string> args);
int cmd_config(std::span<const std::string> args);
int cmd_disable(std::span<const std::string> args);
int cmd_providers(std::span<const std::string> args);
// Policy from the command line (cmd_policy.cpp): edit config.yaml, re-render
// proxy.yaml, reload a running daemon.
int cmd_allow(std::span<const std::string> args);
int cmd_deny(std::span<const std::string> args);
int cmd_secrets(std::span<const std::string> args);
int config_get(std::span<const std::string> args);  // `config get KEY`
int config_set(std::span<const std::string> args);  // `config set KEY VALUE`
// Lists the running sandboxes that carry the egress fingerprint label
// ("name (id)"); supplied by runtime, which knows Docker.
using SandboxLister = std::function<util::Result<std::vector<std::string>>()>;
int cmd_rotate_ca(std::span<const std::string> args, const SandboxLister& list_sandboxes = {});
// `serve`: runs the built-in engine (proxy/server) in the foreground until
// SIGTERM/SIGINT; SIGHUP reloads. Real secret values and the management key
// come from the process environment (cmd_serve.cpp).
int cmd_serve(std::span<const std::string> args);

}  // namespace sr::cli
