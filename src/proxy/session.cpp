// serve: the command (cli/cmd_serve); server: the event loops; engine: their shared state; session: a connection.
#include "proxy/session.hpp"

#include "proxy/http1/exchange.hpp"
#include "proxy/original_dst.hpp"
#include "proxy/tunnel.hpp"

namespace sr::proxy {

std::optional<ConnInfo> accepted(tcp::socket& socket) {
  error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;
  ConnInfo info;
  info.client = address_text(peer);
  info.client_ip = peer.address().to_string();
  info.original_dst = redirected_from(socket);
  socket.set_option(tcp::no_delay(true), ec);
  return info;
}

awaitable<void> run_client(tcp::socket socket, LoopContext& ctx,
                           [[maybe_unused]] ConnLimits::Slot slot) {
  OpenConnection open(ctx.engine.metrics());
  auto info = accepted(socket);
  if (!info) co_return;
  PlainStream stream(std::move(socket));
  beast::flat_buffer buffer;
  auto end = co_await request_loop(stream, buffer, ctx, *info);
  if (end == LoopEnd::connect_requested)
    co_await run_tunnel(std::move(stream), std::move(buffer), ctx, std::move(*info));
}

}  // namespace sr::proxy
