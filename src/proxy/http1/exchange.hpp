// The request loop of one client connection: reads each request head with a
// Beast parser, runs the pipeline (allowlist, secrets, deny CIDRs), forwards
// it upstream and streams the response back (scrubbed), with keep-alive on
// both sides. Used for plain forwarding (absolute-form), for plain HTTP inside
// a CONNECT tunnel and for the decrypted requests of a MITM tunnel.
#pragma once

#include <string>

#include "proxy/engine.hpp"
#include "proxy/net.hpp"
#include "proxy/upstream.hpp"

namespace sr::proxy {

enum class Mode {
  forward,       // absolute-form requests; a CONNECT ends the loop
  tunnel_plain,  // plain HTTP inside a CONNECT tunnel to `tunnel`
  tunnel_tls,    // decrypted HTTPS inside a CONNECT tunnel to `tunnel`
  // decrypted HTTPS intercepted on the https listener: `tunnel` is the
  // ClientHello's SNI on port 443, treated exactly as a CONNECT target
  transparent_tls,
};

struct ConnInfo {
  std::string client;  // "ip:port"
  std::string client_ip;  // the address alone: selects a sandbox's narrowing
  Mode mode = Mode::forward;
  Target tunnel;                 // tunnel modes: the CONNECT target
  std::string connect_authority; // set when the loop ends on a CONNECT
  // The address the sandbox dialled before the firewall redirected it to
  // the engine (SO_ORIGINAL_DST), "ip:port"; "" on the proxy listeners.
  // Recorded only: the engine dials the authority's own resolution.
  std::string original_dst;
};

enum class LoopEnd { closed, connect_requested };

// Serves requests until the client closes, an error, a non-keep-alive
// exchange, an upgrade, or (forward mode) a CONNECT, which is left unanswered
// for the caller with its authority in info.connect_authority. In forward
// mode an origin-form request (what a client sends when its port-80
// connection was redirected to the engine) takes its authority from Host.
template <class Stream>
awaitable<LoopEnd> request_loop(Stream& client, beast::flat_buffer& buffer, LoopContext& ctx,
                                ConnInfo& info);

// A short text response (403 refusals, 502, ...), "Connection: close" when
// keep_alive is no. Callers pass a named string: GCC 12 mishandles some
// temporaries with destructors inside co_await expressions.
enum class KeepAlive { no, yes };
template <class Stream>
awaitable<void> send_text(Stream& stream, unsigned version, http::status status,
                          const std::string& body, KeepAlive keep_alive);

}  // namespace sr::proxy
