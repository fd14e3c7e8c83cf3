// The engine's deadlines on client connections: how long a connection may
// sit idle between requests, how long a request head may take once its
// first byte is in, and how long an upgraded connection (a WebSocket) may
// carry no byte either way. Set once by `serve` (flags --client-idle,
// --websocket-idle) before any event loop runs; read by every loop.
#pragma once

#include <chrono>

#include "proxy/net.hpp"

namespace sr::proxy {

struct ClientTimeouts {
  std::chrono::milliseconds idle{120'000};
  std::chrono::milliseconds header{30'000};
  std::chrono::milliseconds websocket_idle{600'000};
};

// The process's timeouts (the defaults above until set).
const ClientTimeouts& client_timeouts();
// Call before the event loops start: the value is read without a lock.
void set_client_timeouts(const ClientTimeouts& timeouts);

// Waits up to the idle timeout for the first byte of the next request
// (unless bytes of it are already in `buffer`), then arms the header
// deadline for the rest of the head. False when the client closed, failed
// or stayed idle: the connection ends without an answer.
template <class Stream>
awaitable<bool> await_request(Stream& client, beast::flat_buffer& buffer) {
  const auto& t = client_timeouts();
  if (buffer.size() == 0) {
    lowest(client).expires_after(t.idle);
    error_code ec;
    std::size_t n = co_await client.async_read_some(buffer.prepare(1024), ec_token(ec));
    if (ec) co_return false;
    buffer.commit(n);
  }
  lowest(client).expires_after(t.header);
  co_return true;
}

}  // namespace sr::proxy
