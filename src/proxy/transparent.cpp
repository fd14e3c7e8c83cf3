#include "proxy/transparent.hpp"

#include <openssl/ssl.h>

#include "proxy/http1/exchange.hpp"
#include "proxy/original_dst.hpp"
#include "proxy/policy/host_match.hpp"
#include "proxy/session.hpp"
#include "proxy/tls/alpn.hpp"
#include "util/host_port.hpp"

namespace sr::proxy {

namespace {

constexpr std::chrono::seconds kHandshakeTimeout{15};

// What the servername callback decided for one connection (reached through
// the SSL's ex_data; lives on the coroutine's frame for the handshake).
struct SniChoice {
  CertCache& certs;
  const Rules& rules;
  std::string host;     // the normalised SNI host, once accepted
  std::string refusal;  // why the ClientHello was refused ("" = not refused)
  std::string seen;     // the SNI as sent (for the audit line), if any
};

int choice_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool is_ip_literal(std::string_view host) {
  error_code ec;
  asio::ip::make_address(std::string(util::strip_brackets(host)), ec);
  return !ec;
}

std::string sni_refusal(SniChoice& c, const char* sni) {
  if (sni == nullptr || *sni == '\0') return "no SNI in the ClientHello";
  c.seen = sni;
  if (is_ip_literal(sni)) return "SNI is an IP literal, not a host name";
  auto host = normalize_host(sni);
  if (!host) return "SNI is not a valid host name";
  c.host = *host;
  if (!c.rules.allowlist.matches_normalized(c.host)) return "host not on the allowlist";
  return {};
}

// OpenSSL calls this once it has parsed the ClientHello (also when it carries
// no SNI), before choosing the certificate: switching the SSL to the leaf's
// context here serves that leaf. A refusal ends the handshake with
// unrecognized_name, the alert RFC 6066 §3 names for it.
int on_servername(SSL* ssl, int* alert, void*) {
  auto* c = static_cast<SniChoice*>(SSL_get_ex_data(ssl, choice_index()));
  if (c == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  c->refusal = sni_refusal(*c, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
  if (c->refusal.empty()) {
    auto leaf = c->certs.get(c->host);
    if (leaf) {
      SSL_set_SSL_CTX(ssl, leaf->get());
      return SSL_TLSEXT_ERR_OK;
    }
    c->refusal = "minting a leaf certificate: " + leaf.error().message;
  }
  *alert = SSL_AD_UNRECOGNIZED_NAME;
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// A certificate-less server context whose servername callback picks the leaf;
// built once, shared by every loop (read-only after construction).
ssl::context* sni_context() {
  static const std::unique_ptr<ssl::context> ctx = [] () -> std::unique_ptr<ssl::context> {
    auto base = make_server_ctx();
    if (!base) return nullptr;
    SSL_CTX_set_tlsext_servername_callback(base->get(), &on_servername);
    SSL_CTX_up_ref(base->get());
    return std::make_unique<ssl::context>(base->get());
  }();
  return ctx.get();
}

void record_refusal(LoopContext& ctx, const ConnInfo& info, const std::string& host, std::string reason) {
  AuditRecord rec;
  rec.client = info.client;
  rec.method = "TLS";
  rec.host = host;
  rec.decision = Decision::reject;
  rec.reason = std::move(reason);
  rec.original_dst = info.original_dst;
  auto rules = ctx.engine.rules();
  if (const auto* n = rules->narrowings.find(info.client_ip)) rec.narrowing = n->label;
  ctx.engine.record(rec, *rules);
}

}  // namespace

awaitable<void> run_transparent_tls(tcp::socket socket, LoopContext& ctx,
                                    [[maybe_unused]] ConnLimits::Slot slot) {
  OpenConnection open(ctx.engine.metrics());
  auto accepted_info = accepted(socket);
  if (!accepted_info) co_return;
  ConnInfo info = std::move(*accepted_info);
  error_code ec;
  if (info.original_dst.empty()) info.original_dst = address_text(socket.local_endpoint(ec));
  ssl::context* base = sni_context();
  if (base == nullptr) {
    record_refusal(ctx, info, "", "creating the transparent TLS context failed");
    co_return;
  }
  auto rules = ctx.engine.rules();
  // A sandbox's narrowing is not applied to the SNI: an allowlisted host
  // outside it completes the handshake and each request is answered 403 by
  // the gate, which a client reports better than an unrecognized_name alert.
  SniChoice choice{ctx.engine.certs(), *rules, {}, {}, {}};
  TlsStream tls(PlainStream(std::move(socket)), *base);
  SSL_set_ex_data(tls.native_handle(), choice_index(), &choice);
  offer_alpn(tls.native_handle(), AlpnOffer::http1);  // the request loop speaks HTTP/1.1
  tls.expires_after(kHandshakeTimeout);
  co_await tls.async_handshake(ssl::stream_base::server, ec_token(ec));
  SSL_set_ex_data(tls.native_handle(), choice_index(), nullptr);
  if (!choice.refusal.empty()) {
    record_refusal(ctx, info, choice.host.empty() ? choice.seen : choice.host, choice.refusal);
    co_return;
  }
  if (ec) co_return;
  info.mode = Mode::transparent_tls;
  info.tunnel = Target{Scheme::https, choice.host, 443};
  rules.reset();
  beast::flat_buffer buffer;
  co_await request_loop(tls, buffer, ctx, info);
  tls.expires_after(std::chrono::seconds(2));
  co_await tls.async_shutdown(ec_token(ec));
}

}  // namespace sr::proxy
