#include "proxy/tls/alpn.hpp"

#include <cstdint>

namespace sr::proxy {
namespace {

// The offer is kept in the SSL's ex_data as (enum value + 1), so a null slot
// means "no offer" and nothing outlives the SSL.
int offer_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Wire format (RFC 7301 §3.1): each name preceded by its length.
std::string_view wire_list(AlpnOffer offer) {
  switch (offer) {
    case AlpnOffer::http1: return "\x08http/1.1";
  }
  return {};
}

int select_offered(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                   unsigned int inlen, void*) {
  auto slot = reinterpret_cast<std::uintptr_t>(SSL_get_ex_data(ssl, offer_index()));
  if (slot == 0) return SSL_TLSEXT_ERR_NOACK;
  std::string_view ours = wire_list(static_cast<AlpnOffer>(slot - 1));
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, reinterpret_cast<const unsigned char*>(ours.data()),
                            static_cast<unsigned>(ours.size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void install_alpn_selection(SSL_CTX* ctx) { SSL_CTX_set_alpn_select_cb(ctx, &select_offered, nullptr); }

void offer_alpn(SSL* ssl, AlpnOffer offer) {
  SSL_set_ex_data(ssl, offer_index(), reinterpret_cast<void*>(static_cast<std::uintptr_t>(offer) + 1));
}

std::string_view negotiated_alpn(const SSL* ssl) {
  const unsigned char* proto = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl, &proto, &len);
  return proto == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(proto), len);
}

}  // namespace sr::proxy
