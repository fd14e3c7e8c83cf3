#include "proxy/tls/cert_cache.hpp"

#include "proxy/tls/alpn.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <ctime>

#include "proxy/policy/host_match.hpp"

namespace sr::proxy {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;

// "<what>: <OpenSSL's queued errors>", draining the queue.
std::unexpected<util::Error> ssl_fail(const std::string& what) {
  std::string detail;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!detail.empty()) detail += "; ";
    detail += buf;
  }
  return util::fail(util::ErrorKind::generic, what + ": " + (detail.empty() ? "unknown OpenSSL error" : detail));
}

util::Result<void> add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value), &X509_EXTENSION_free);
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return ssl_fail(std::string("adding extension ") + OBJ_nid2sn(nid));
  return {};
}

// SAN built from GENERAL_NAME structures, never from a config string, so a
// name can never smuggle extra entries.
util::Result<void> add_san(X509* cert, const std::string& name) {
  GeneralNamesPtr names(GENERAL_NAMES_new(), &GENERAL_NAMES_free);
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (!names || !gn) return ssl_fail("allocating subjectAltName");
  sk_GENERAL_NAME_push(names.get(), gn);
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(name, ec);
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  if (!os) return ssl_fail("allocating subjectAltName");
  if (!ec) {
    auto set_bytes = [&](const auto& bytes) {
      return ASN1_OCTET_STRING_set(os, bytes.data(), static_cast<int>(bytes.size()));
    };
    int ok = addr.is_v4() ? set_bytes(addr.to_v4().to_bytes()) : set_bytes(addr.to_v6().to_bytes());
    GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
    if (ok != 1) return ssl_fail("setting IP subjectAltName");
  } else {
    ASN1_STRING_free(os);
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (!ia5) return ssl_fail("allocating subjectAltName");
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    if (ASN1_STRING_set(ia5, name.data(), static_cast<int>(name.size())) != 1)
      return ssl_fail("setting DNS subjectAltName");
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return ssl_fail("adding subjectAltName");
  return {};
}

util::Result<void> set_serial(X509* cert) {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return ssl_fail("generating a serial number");
  raw[0] &= 0x7F;  // positive
  raw[0] |= 0x40;  // and never shorter than 16 bytes' worth
  BnPtr bn(BN_bin2bn(raw, sizeof raw, nullptr), &BN_free);
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
    return ssl_fail("setting the serial number");
  return {};
}

// The CA key's signature digest: none for EdDSA keys, SHA-256 otherwise.
const EVP_MD* digest_for(EVP_PKEY* key) {
  int id = EVP_PKEY_get_id(key);
  return (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
}

}  // namespace

util::Result<SslCtxPtr> make_server_ctx() {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!ctx) return ssl_fail("creating a server SSL_CTX");
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1)
    return ssl_fail("setting the minimum TLS version");
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  // No resumption towards sandboxes, so no TLS 1.3 tickets either: with
  // SSL_OP_NO_TICKET alone OpenSSL still builds and sends two (stateful,
  // with the cache off never usable) after every handshake.
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  // OpenSSL frees a connection's record buffers while it has nothing
  // buffered, so an idle tunnel holds none. (Asio's ssl engine also sets this
  // on every SSL it creates; set here so any SSL made from these contexts
  // has it.)
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  install_alpn_selection(ctx.get());
  return ctx;
}

util::Result<CertAuthority> CertAuthority::load(const std::filesystem::path& cert_path,
                                                const std::filesystem::path& key_path) {
  CertAuthority ca;
  BioPtr cert_bio(BIO_new_file(cert_path.c_str(), "r"), &BIO_free);
  if (!cert_bio) return ssl_fail("opening CA certificate " + cert_path.string());
  ca.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!ca.cert) return ssl_fail("reading CA certificate " + cert_path.string());
  BioPtr key_bio(BIO_new_file(key_path.c_str(), "r"), &BIO_free);
  if (!key_bio) return ssl_fail("opening CA key " + key_path.string());
  // PEM_read_bio_PrivateKey accepts PKCS#8 and the traditional PKCS#1 (RSA)
  // and SEC1 (EC) encodings.
  ca.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!ca.key) return ssl_fail("reading CA key " + key_path.string());
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1)
    return ssl_fail("CA key " + key_path.string() + " does not match certificate " + cert_path.string());
  if (X509_check_ca(ca.cert.get()) < 1)
    return util::fail(util::ErrorKind::invalid_argument,
                      "CA certificate " + cert_path.string() + " is not a CA (basicConstraints CA:TRUE missing)");
  return ca;
}

CertCache::CertCache(CertAuthority ca, CertCacheOptions options) : ca_(std::move(ca)), options_(std::move(options)) {
  if (options_.capacity == 0) options_.capacity = 1;
  if (options_.leaf_lifetime.count() < 1) options_.leaf_lifetime = std::chrono::hours(1);
}

util::Result<CertCache::Leaf> CertCache::mint(std::string_view name_in) const {
  auto name = normalize_host(name_in);
  if (!name)
    return util::fail(util::ErrorKind::invalid_argument,
                      "minting a leaf certificate: invalid host name \"" + std::string(name_in) + "\"");
  Leaf leaf;
  leaf.key.reset(EVP_EC_gen("P-256"));
  if (!leaf.key) return ssl_fail("generating a P-256 key");
  leaf.cert.reset(X509_new());
  X509* cert = leaf.cert.get();
  if (!cert || X509_set_version(cert, X509_VERSION_3) != 1) return ssl_fail("creating a certificate");
  SR_TRY(set_serial(cert));
  auto now = std::chrono::system_clock::to_time_t(options_.now());
  auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(options_.leaf_lifetime).count();
  if (!ASN1_TIME_set(X509_getm_notBefore(cert), now - 3600) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert), now + static_cast<std::time_t>(lifetime)))
    return ssl_fail("setting the validity period");
  X509_NAME* subject = X509_get_subject_name(cert);
  // A CN longer than 64 bytes is invalid (RFC 5280 ub-common-name); the SAN
  // is what clients check, so a long name simply goes without a CN.
  if (name->size() <= 64 &&
      X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(name->data()),
                                 static_cast<int>(name->size()), -1, 0) != 1)
    return ssl_fail("setting the subject");
  if (X509_set_issuer_name(cert, X509_get_subject_name(ca_.cert.get())) != 1 ||
      X509_set_pubkey(cert, leaf.key.get()) != 1)
    return ssl_fail("setting issuer and public key");
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, ca_.cert.get(), cert, nullptr, nullptr, 0);
  SR_TRY(add_ext(cert, &v3, NID_basic_constraints, "critical,CA:FALSE"));
  SR_TRY(add_ext(cert, &v3, NID_key_usage, "critical,digitalSignature"));
  SR_TRY(add_ext(cert, &v3, NID_ext_key_usage, "serverAuth"));
  SR_TRY(add_ext(cert, &v3, NID_subject_key_identifier, "hash"));
  SR_TRY(add_ext(cert, &v3, NID_authority_key_identifier, "keyid:always"));
  SR_TRY(add_san(cert, *name));
  if (X509_sign(cert, ca_.key.get(), digest_for(ca_.key.get())) <= 0)
    return ssl_fail("signing the leaf certificate for " + *name);
  return leaf;
}

util::Result<SslCtxPtr> CertCache::build_ctx(std::string_view name) const {
  SR_ASSIGN(Leaf leaf, mint(name));
  SR_ASSIGN(SslCtxPtr ctx, make_server_ctx());
  if (SSL_CTX_use_certificate(ctx.get(), leaf.cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), leaf.key.get()) != 1 ||
      SSL_CTX_add1_chain_cert(ctx.get(), ca_.cert.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
    return ssl_fail("installing the leaf certificate for " + std::string(name));
  return ctx;
}

util::Result<SslCtxPtr> CertCache::get(std::string_view name_in) {
  auto name = normalize_host(name_in);
  if (!name)
    return util::fail(util::ErrorKind::invalid_argument,
                      "leaf certificate: invalid host name \"" + std::string(name_in) + "\"");
  std::promise<util::Result<SslCtxPtr>> promise;
  std::shared_future<util::Result<SslCtxPtr>> future;
  bool minter = false;
  {
    std::lock_guard lock(mu_);
    auto now = options_.now();
    if (auto it = entries_.find(*name); it != entries_.end()) {
      if (now < it->second.refresh_at) {
        lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
        future = it->second.ctx;
      } else {
        lru_.erase(it->second.lru_pos);
        entries_.erase(it);
      }
    }
    if (!future.valid()) {
      // Re-mint before expiry, so a leaf handed out stays valid for a while.
      auto margin = std::min<std::chrono::system_clock::duration>(std::chrono::hours(1),
                                                                  options_.leaf_lifetime / 2);
      future = promise.get_future().share();
      minter = true;
      lru_.push_front(*name);
      entries_.emplace(*name, Entry{future, now + options_.leaf_lifetime - margin, lru_.begin()});
      while (entries_.size() > options_.capacity) {
        entries_.erase(lru_.back());
        lru_.pop_back();
      }
    }
  }
  if (!minter) return future.get();  // another thread mints (or minted) it

  // Minting happens outside the lock: other names are not held up.
  util::Result<SslCtxPtr> result = util::fail(util::ErrorKind::generic, "minting failed");
  try {
    result = build_ctx(*name);
  } catch (const std::exception& e) {
    result = util::fail(util::ErrorKind::generic, std::string("minting a leaf certificate: ") + e.what());
  }
  ++mints_;
  promise.set_value(result);
  if (!result) {
    // Do not cache a failure: the next request retries.
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(*name); it != entries_.end() && it->second.ctx.valid() &&
                                        &it->second.ctx.get() == &future.get()) {
      lru_.erase(it->second.lru_pos);
      entries_.erase(it);
    }
  }
  return result;
}

std::size_t CertCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace sr::proxy
