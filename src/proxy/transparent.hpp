// One connection on the transparent HTTPS listener (proxy.https_listen, the
// role iron-proxy gives it): a sandbox's TCP connection to port 443 that the
// egress firewall redirected to the engine, with no CONNECT before it.
//
// The ClientHello's SNI plays the CONNECT target's part: it must name a host
// (a ClientHello without SNI, or with an IP literal, is refused with a TLS
// alert and an audit line), the host must be on the allowlist (checked before
// any leaf is minted, as a CONNECT target is before "200"), and the leaf is
// minted for it. The decrypted requests then run the same request loop as a
// MITM tunnel to SNI:443: Host must name the SNI host, and the swap, the
// scrub, the deny CIDRs (after resolving the SNI host; never the address the
// sandbox dialled) and the audit are the same. The audit line also names the
// original destination (original_dst.hpp).
#pragma once

#include "proxy/conn_limits.hpp"
#include "proxy/engine.hpp"
#include "proxy/net.hpp"

namespace sr::proxy {

// `slot` is the connection's place under the caps, held until it ends.
awaitable<void> run_transparent_tls(tcp::socket socket, LoopContext& ctx, ConnLimits::Slot slot);

}  // namespace sr::proxy
