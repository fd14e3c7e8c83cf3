// serve: the command; server: the event loops; engine: their shared state; session: a connection.
// `sandbox-egress serve`: runs the built-in engine in the foreground.
//
//   sandbox-egress serve --config PATH [--audit-log PATH]
//                        [--resolve HOST:PORT:ADDR]... [--listen-extra ADDR]...
//                        [--threads N] [--upstream-idle N]
//                        [--max-client-connections N] [--max-connections N]
//                        [--client-idle DURATION] [--websocket-idle DURATION]
//
// Engine-only settings are flags so that proxy.yaml stays acceptable to
// iron-proxy v0.39. Real secret values and the management key are read from
// the process environment. Exit codes: 0 after a graceful shutdown, 1 on a
// startup failure (invalid config, listener that cannot bind), 2 on usage.
#pragma once

#include <span>
#include <string>

namespace sr::proxy {

int cmd_serve(std::span<const std::string> args);

}  // namespace sr::proxy
