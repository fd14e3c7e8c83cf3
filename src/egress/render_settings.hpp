// Config + mappings -> the proxy.yaml model (iron-proxy v0.39's schema).
#pragma once

#include <string>

#include "egress/config.hpp"
#include "egress/mappings.hpp"
#include "egress/paths.hpp"
#include "proxyconf/proxy_config.hpp"
#include "util/error.hpp"

namespace sr::egress {

// The env var the engine reads the management API key from; the daemon is
// started with it set to the content of Paths::management_token().
inline constexpr const char* kManagementKeyEnv = "SANDBOX_EGRESS_MGMT_KEY";

// Listeners: tunnel on bind_address:tunnel_port, plain HTTP on
// bind_address:tunnel_port+1, management on 127.0.0.1:tunnel_port+2,
// transparent HTTPS on bind_address:tunnel_port+3, DNS on
// bind_address:tunnel_port+4 answering with bind_address, metrics on
// loopback port 0. Allowlist: defaults, then mapping
// hosts, then extra_allowed_hosts, de-duplicated in order. Deny CIDRs:
// defaults when unset. One secrets entry per mapping; `require` is true for
// the built-in engine and false for iron-proxy (upstream issue #222).
// Invalid hosts, CIDRs or ports are errors naming the entry.
util::Result<proxyconf::ProxyConfig> render_settings(const Config& config, const Mappings& mappings,
                                                     const Paths& paths,
                                                     const std::string& bind_address);

}  // namespace sr::egress
