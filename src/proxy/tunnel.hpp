// A CONNECT tunnel: allowlist check on the CONNECT target, "200 Connection
// Established", then a peek at the first byte: 0x16 (a TLS handshake record)
// starts MITM TLS with a leaf certificate for the CONNECT target (never the
// client's SNI, which may be odd or missing), anything else is served as plain
// HTTP. Inner requests run the request pipeline (exchange.hpp).
#pragma once

#include "proxy/engine.hpp"
#include "proxy/http1/exchange.hpp"
#include "proxy/net.hpp"

namespace sr::proxy {

awaitable<void> run_tunnel(PlainStream stream, beast::flat_buffer buffer, LoopContext& ctx,
                           ConnInfo info);

}  // namespace sr::proxy
