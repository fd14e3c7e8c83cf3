// MITM leaf certificates: a CA loaded from PEM files, leaf certificates
// minted on demand per host name, cached (LRU + age) as ready SSL_CTXs.
//
// Leaf profile: ECDSA P-256 key, X.509 v3, random 128-bit serial, subject
// CN=<name>, SAN DNS:<name> (or IP:<addr> for IP literals), validity
// [now-1h, now+lifetime], basicConstraints CA:FALSE, keyUsage
// digitalSignature, extendedKeyUsage serverAuth, SKI and AKI, signed with
// the CA key (SHA-256). The SSL_CTX serves the chain [leaf, CA], TLS >= 1.2.
// ALPN is not the cache's choice: each connection's owner offers its
// protocols (tls/alpn.hpp), the context only carries the selection callback.
// Session tickets and the session cache are off (every tunnel is a full
// handshake; no resumption state is shared across names).
//
// Use with TlsStream: create the stream on a base context from
// make_server_ctx() (or wrap a leaf ctx: SSL_CTX_up_ref + ssl::context(native)),
// then, before the handshake, SSL_set_SSL_CTX(stream.native_handle(),
// leaf.get()) to serve that leaf. The CONNECT target decides the name, never
// the client's SNI (an odd or missing SNI must not break a tunnel).
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/error.hpp"

namespace sr::proxy {

using SslCtxPtr = std::shared_ptr<SSL_CTX>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A server SSL_CTX without a certificate: TLS >= 1.2, the per-connection ALPN selection,
// no tickets, no session cache, no renegotiation (leaf contexts swap in per name). Errors drain the
// OpenSSL error queue into the message.
util::Result<SslCtxPtr> make_server_ctx();

// The CA that signs leaves. Loaded once at start (reload does not change TLS).
struct CertAuthority {
  X509Ptr cert{nullptr, &X509_free};
  EvpPkeyPtr key{nullptr, &EVP_PKEY_free};

  // Reads PEM files: the certificate, and the key in PKCS#8, PKCS#1 (RSA) or
  // SEC1 (EC) form. Fails when the key does not match the certificate or the
  // certificate is not a CA (basicConstraints CA:TRUE).
  static util::Result<CertAuthority> load(const std::filesystem::path& cert_path,
                                          const std::filesystem::path& key_path);
};

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct CertCacheOptions {
  std::size_t capacity = 1000;                // tls.cert_cache_size (>= 1)
  std::chrono::hours leaf_lifetime{72};       // tls.leaf_cert_expiry_hours (>= 1)
  Clock now = [] { return std::chrono::system_clock::now(); };  // test seam
};

class CertCache {
 public:
  CertCache(CertAuthority ca, CertCacheOptions options);
  CertCache(const CertCache&) = delete;
  CertCache& operator=(const CertCache&) = delete;

  // The server context for `name` (a normalised DNS name or IP literal, as
  // from normalize_host). Mints on the first request for a name; concurrent
  // first requests for one name wait for a single mint (per-name shared
  // future), other names are not blocked by it. A cached entry is re-minted
  // once it is within min(1h, lifetime/2) of its notAfter. The least recently
  // used entry is evicted beyond `capacity`. Thread-safe; blocks the caller
  // for the duration of one mint (~1 ms) at most.
  util::Result<SslCtxPtr> get(std::string_view name);

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::uint64_t mints() const { return mints_.load(); }
  [[nodiscard]] const CertAuthority& authority() const { return ca_; }

  // Mints a leaf for `name` without caching (exposed for tests and benches).
  struct Leaf {
    X509Ptr cert{nullptr, &X509_free};
    EvpPkeyPtr key{nullptr, &EVP_PKEY_free};
  };
  util::Result<Leaf> mint(std::string_view name) const;

 private:
  struct Entry {
    std::shared_future<util::Result<SslCtxPtr>> ctx;
    std::chrono::system_clock::time_point refresh_at;
    std::list<std::string>::iterator lru_pos;
  };
  util::Result<SslCtxPtr> build_ctx(std::string_view name) const;

  CertAuthority ca_;
  CertCacheOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front = most recently used
  std::atomic<std::uint64_t> mints_{0};
};

}  // namespace sr::proxy
