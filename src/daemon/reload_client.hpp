// Asking the running engine to re-read proxy.yaml: POST /v1/reload on the
// management listener (as iron-proxy v0.39's), `Authorization: Bearer <management.token>`.
//
// Contract: each failure is its own error, with a message that says what to do:
// not running (ErrorKind::not_found), no management listener configured
// (invalid_argument), key rejected 401 (permission_denied), new config
// rejected 422 with the engine's reason (api; running rules unchanged),
// listener unreachable (connect).
#pragma once

#include <string>

#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "proxyconf/proxy_config.hpp"
#include "util/error.hpp"
#include "util/host_port.hpp"

namespace sr::daemon {

util::Result<void> reload_daemon(const egress::Paths& paths, const egress::Config& config);
// The same, for a caller that has just loaded proxy.yaml (`proxy`): its tunnel
// and management addresses are used instead of reading the file again.
util::Result<void> reload_daemon(const egress::Paths& paths, const egress::Config& config,
                                 const proxyconf::ProxyConfig& proxy);

// POST <target> (e.g. "/v1/reload") to the management listener at `at` (an
// IP address and port) with the bearer key, never through a proxy: the HTTP
// status and body, or a connect error. Plain HTTP on Boost.Beast (no libcurl:
// the launcher calls this and must not load it); 30 s for the whole exchange.
struct HttpReply {
  long status = 0;
  std::string body;
};
util::Result<HttpReply> post_management(const util::HostPort& at, const std::string& target, const std::string& key);

}  // namespace sr::daemon
