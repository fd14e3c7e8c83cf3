// serve: the command (cli/cmd_serve); server: the event loops; engine: their shared state; session: a connection.
// One client connection on the tunnel or plain-HTTP listener: absolute-form
// requests are forwarded; a CONNECT opens a tunnel (tunnel.hpp). Both
// listeners run the same code, so a CONNECT on http_listen is terminated
// here rather than forwarded.
#pragma once

#include "proxy/net.hpp"

#include <optional>

#include "proxy/conn_limits.hpp"
#include "proxy/engine.hpp"
#include "proxy/http1/exchange.hpp"

namespace sr::proxy {

// Counts a client connection in the open-connections gauge for its lifetime.
class OpenConnection {
 public:
  explicit OpenConnection(Metrics& m) : m_(m) { m_.connection_opened(); }
  ~OpenConnection() { m_.connection_closed(); }
  OpenConnection(const OpenConnection&) = delete;
  OpenConnection& operator=(const OpenConnection&) = delete;

 private:
  Metrics& m_;
};

// The start of every accepted client connection (this listener's and the
// transparent ones): who it is from, where it was going when the firewall
// redirected it (original_dst), and TCP_NODELAY set. nullopt when the peer
// is already gone.
std::optional<ConnInfo> accepted(tcp::socket& socket);

// `slot` is the connection's place under the caps, held until it ends.
awaitable<void> run_client(tcp::socket socket, LoopContext& ctx, ConnLimits::Slot slot);

}  // namespace sr::proxy
