// One client connection on the tunnel or plain-HTTP listener: absolute-form
// requests are forwarded; a CONNECT opens a tunnel (tunnel.hpp). Both
// listeners run the same code, so a CONNECT on http_listen is terminated
// here rather than forwarded.
#pragma once

#include "proxy/engine.hpp"
#include "proxy/net.hpp"

namespace sr::proxy {

awaitable<void> run_client(tcp::socket socket, LoopContext& ctx);

}  // namespace sr::proxy
