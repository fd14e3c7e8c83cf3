// Which application protocol a server-side TLS connection speaks. The code
// that owns the connection decides (the CONNECT tunnel, the transparent
// listener), per connection; the contexts the certificate cache builds only
// carry the selection callback and offer nothing by themselves.
//
// The callback (installed on every context from make_server_ctx()) picks the
// first protocol of the connection's offer that the client also lists. With
// no offer, or no overlap (a client that lists only h2), the handshake goes on
// without ALPN (RFC 7301 §3.2); the client then speaks HTTP/1.1 or gives up.
// Adding a protocol (HTTP/2) means a new offer here and a session for it
// where the tunnel reads negotiated_alpn() after the handshake.
#pragma once

#include <openssl/ssl.h>

#include <string_view>

namespace sr::proxy {

enum class AlpnOffer { http1 };  // "http/1.1"

// Makes `ctx` choose ALPN from the per-connection offer.
void install_alpn_selection(SSL_CTX* ctx);

// What this connection offers; call before the handshake.
void offer_alpn(SSL* ssl, AlpnOffer offer);

// The protocol the handshake agreed on, "" for none.
std::string_view negotiated_alpn(const SSL* ssl);

}  // namespace sr::proxy
