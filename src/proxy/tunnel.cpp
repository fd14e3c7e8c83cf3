#include "proxy/tunnel.hpp"

#include "proxy/client_timeouts.hpp"
#include "proxy/tls/alpn.hpp"

namespace sr::proxy {

namespace {

constexpr std::chrono::seconds kHandshakeTimeout{15};
constexpr std::size_t kFirstRead = 4 * 1024;

void record_refusal(LoopContext& ctx, const ConnInfo& info, const std::string& host,
                    unsigned status, Decision decision, std::string reason) {
  AuditRecord rec;
  rec.client = info.client;
  rec.method = "CONNECT";
  rec.host = host;
  rec.target = info.connect_authority;
  rec.status = status;
  rec.decision = decision;
  rec.reason = std::move(reason);
  auto rules = ctx.engine.rules();
  if (const auto* n = rules->narrowings.find(info.client_ip)) rec.narrowing = n->label;
  ctx.engine.record(rec, *rules);
}

awaitable<void> answer_connect(PlainStream& stream) {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.reason("Connection Established");
  error_code ec;
  co_await http::async_write(stream, res, ec_token(ec));
}

awaitable<void> serve_tls(PlainStream stream, beast::flat_buffer buffer, LoopContext& ctx,
                          ConnInfo info) {
  auto leaf = ctx.engine.certs().get(info.tunnel.host);
  if (!leaf) {
    record_refusal(ctx, info, info.tunnel.host, 0, Decision::error,
                   "minting a leaf certificate: " + leaf.error().message);
    co_return;
  }
  TlsStream tls(std::move(stream), ctx.engine.mitm_base());
  // The leaf is chosen by the CONNECT target; whatever SNI the client sends
  // (host:port, none at all) does not matter.
  SSL_set_SSL_CTX(tls.native_handle(), leaf->get());
  // The request loop below speaks HTTP/1.1, so that is all this tunnel offers.
  offer_alpn(tls.native_handle(), AlpnOffer::http1);
  beast::get_lowest_layer(tls).expires_after(kHandshakeTimeout);
  error_code ec;
  co_await tls.async_handshake(ssl::stream_base::server, buffer.data(), ec_token(ec));
  if (ec) co_return;
  // The ClientHello block is not kept for the life of the tunnel: the request
  // loop grows the buffer from 512 bytes on demand.
  buffer.consume(buffer.size());
  buffer.shrink_to_fit();
  info.mode = Mode::tunnel_tls;
  info.tunnel.scheme = Scheme::https;
  co_await request_loop(tls, buffer, ctx, info);
  beast::get_lowest_layer(tls).expires_after(std::chrono::seconds(2));
  co_await tls.async_shutdown(ec_token(ec));
}

}  // namespace

awaitable<void> run_tunnel(PlainStream stream, beast::flat_buffer buffer, LoopContext& ctx,
                           ConnInfo info) {
  auto hp = split_host_port(info.connect_authority);
  if (!hp || hp->port == 0) {
    std::string text = "sandbox-egress: CONNECT needs host:port\n";
    co_await send_text(stream, 11, http::status::bad_request, text, KeepAlive::no);
    record_refusal(ctx, info, "", 400, Decision::reject, "malformed CONNECT target");
    co_return;
  }
  auto rules = ctx.engine.rules();
  if (!rules->allowlist.matches_normalized(hp->host)) {
    std::string text = "sandbox-egress: host " + hp->host + " is not on the allowlist\n";
    co_await send_text(stream, 11, http::status::forbidden, text, KeepAlive::no);
    record_refusal(ctx, info, hp->host, 403, Decision::reject, "host not on the allowlist");
    co_return;
  }
  // The CONNECT target is checked against the sandbox's narrowing here, as
  // every request inside the tunnel is again by the gate.
  if (const auto* n = rules->narrowings.find(info.client_ip);
      n && !n->hosts.matches_normalized(hp->host)) {
    std::string why = narrowing_refusal(*n, hp->host);
    co_await send_text(stream, 11, http::status::forbidden, "sandbox-egress: " + why + "\n", KeepAlive::no);
    record_refusal(ctx, info, hp->host, 403, Decision::reject, "host outside the sandbox's narrowing (" + n->label + ")");
    co_return;
  }
  info.tunnel = Target{Scheme::http, hp->host, hp->port};
  co_await answer_connect(stream);
  error_code ec;
  if (buffer.size() == 0) {
    stream.expires_after(client_timeouts().idle);
    // A ClientHello fits (the handshake reads any rest from the socket).
    std::size_t n = co_await stream.async_read_some(buffer.prepare(kFirstRead), ec_token(ec));
    if (ec) co_return;
    buffer.commit(n);
  }
  auto first = static_cast<const unsigned char*>(buffer.data().data())[0];
  if (first == 0x16) {
    co_await serve_tls(std::move(stream), std::move(buffer), ctx, std::move(info));
    co_return;
  }
  info.mode = Mode::tunnel_plain;
  co_await request_loop(stream, buffer, ctx, info);
}

}  // namespace sr::proxy
