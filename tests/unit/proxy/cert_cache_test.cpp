#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "proxy/tls/cert_cache.hpp"
#include "proxy/tls/alpn.hpp"
#include "test_ca.hpp"

using sr::proxy::CertAuthority;
using sr::proxy::CertCache;
using sr::proxy::CertCacheOptions;
namespace fs = std::filesystem;
using sr_test::KeyForm;
using sr_test::TempDir;
using sr_test::write_ca;

namespace {

std::string pem_first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// Verifies `leaf` for `name` against the CA as a TLS server certificate.
bool verifies(X509* ca, X509* leaf, const std::string& name, bool ip) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (ip)
    X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
  else
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
  int ok = X509_verify_cert(ctx.get());
  return ok == 1;
}

CertAuthority ec_ca(const TempDir& dir) { return write_ca(dir.path, EVP_EC_gen("P-256"), KeyForm::pkcs8); }

}  // namespace

TEST_CASE("cert_cache: CA keys in PKCS#8, SEC1 and PKCS#1 load", "[proxy][cert]") {
  TempDir d;
  SECTION("PKCS#8 EC") {
    write_ca(d.path, EVP_EC_gen("P-256"), KeyForm::pkcs8);
    CHECK(pem_first_line(d.path / "ca.key") == "-----BEGIN PRIVATE KEY-----");
  }
  SECTION("SEC1 EC") {
    write_ca(d.path, EVP_EC_gen("P-384"), KeyForm::traditional);
    CHECK(pem_first_line(d.path / "ca.key") == "-----BEGIN EC PRIVATE KEY-----");
  }
  SECTION("PKCS#1 RSA, and leaves sign with it") {
    auto ca = write_ca(d.path, EVP_RSA_gen(2048), KeyForm::traditional);
    CHECK(pem_first_line(d.path / "ca.key") == "-----BEGIN RSA PRIVATE KEY-----");
    CertCache cache(std::move(ca), {});
    auto leaf = cache.mint("rsa.example");
    REQUIRE(leaf);
    CHECK(verifies(cache.authority().cert.get(), leaf->cert.get(), "rsa.example", false));
  }
}

TEST_CASE("cert_cache: CA load failures name the file", "[proxy][cert]") {
  TempDir d, other;
  write_ca(d.path, EVP_EC_gen("P-256"), KeyForm::pkcs8);
  write_ca(other.path, EVP_EC_gen("P-256"), KeyForm::pkcs8);
  auto mismatch = CertAuthority::load(d.path / "ca.crt", other.path / "ca.key");
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().message.find("does not match certificate") != std::string::npos);
  auto missing = CertAuthority::load(d.path / "nope.crt", d.path / "ca.key");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.starts_with("opening CA certificate " + (d.path / "nope.crt").string()));
  TempDir leafdir;
  sr::proxy::EvpPkeyPtr k(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  // A non-CA certificate is refused (write_ca REQUIREs success, so build by hand).
  {
    sr::proxy::X509Ptr cert(X509_new(), &X509_free);
    X509_set_version(cert.get(), X509_VERSION_3);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), k.get());
    X509_sign(cert.get(), k.get(), EVP_sha256());
    BIO* b = BIO_new_file((leafdir.path / "c.crt").c_str(), "w");
    PEM_write_bio_X509(b, cert.get());
    BIO_free(b);
    b = BIO_new_file((leafdir.path / "c.key").c_str(), "w");
    PEM_write_bio_PrivateKey(b, k.get(), nullptr, nullptr, 0, nullptr, nullptr);
    BIO_free(b);
  }
  auto not_ca = CertAuthority::load(leafdir.path / "c.crt", leafdir.path / "c.key");
  REQUIRE_FALSE(not_ca);
  CHECK(not_ca.error().message.find("is not a CA") != std::string::npos);
}

TEST_CASE("cert_cache: a minted leaf verifies against the CA", "[proxy][cert]") {
  TempDir d;
  CertCache cache(ec_ca(d), {});
  auto leaf = cache.mint("API.Example.COM.");
  REQUIRE(leaf);
  X509* cert = leaf->cert.get();
  CHECK(verifies(cache.authority().cert.get(), cert, "api.example.com", false));
  CHECK_FALSE(verifies(cache.authority().cert.get(), cert, "other.example.com", false));
  CHECK(X509_check_host(cert, "api.example.com", 0, 0, nullptr) == 1);
  // ECDSA P-256
  CHECK(EVP_PKEY_get_id(leaf->key.get()) == EVP_PKEY_EC);
  char group[64] = {};
  std::size_t glen = 0;
  EVP_PKEY_get_group_name(leaf->key.get(), group, sizeof group, &glen);
  CHECK(std::string(group) == "prime256v1");
  // CN, EKU serverAuth, not a CA, AKI/SKI present
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  CHECK(std::string(cn) == "api.example.com");
  CHECK((X509_get_extended_key_usage(cert) & XKU_SSL_SERVER) != 0);
  CHECK(X509_check_ca(cert) == 0);
  CHECK(X509_get0_subject_key_id(cert) != nullptr);
  CHECK(X509_get0_authority_key_id(cert) != nullptr);
  // validity: notBefore one hour back, notAfter 72h ahead
  int days = 0, secs = 0;
  ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert));
  CHECK(days * 86400 + secs == 73 * 3600);
  // random serials differ
  auto second = cache.mint("api.example.com");
  REQUIRE(second);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert), X509_get0_serialNumber(second->cert.get())) != 0);
}

TEST_CASE("cert_cache: IP literals get an IP SAN", "[proxy][cert]") {
  TempDir d;
  CertCache cache(ec_ca(d), {});
  auto v4 = cache.mint("127.0.0.1");
  REQUIRE(v4);
  CHECK(verifies(cache.authority().cert.get(), v4->cert.get(), "127.0.0.1", true));
  CHECK(X509_check_ip_asc(v4->cert.get(), "127.0.0.1", 0) == 1);
  auto v6 = cache.mint("[::1]");
  REQUIRE(v6);
  CHECK(X509_check_ip_asc(v6->cert.get(), "::1", 0) == 1);
}

TEST_CASE("cert_cache: names that could smuggle SAN entries are refused", "[proxy][cert]") {
  TempDir d;
  CertCache cache(ec_ca(d), {});
  for (const char* bad : {"a.example,DNS:evil.example", "a b", "", "a/b", "*.example.com"}) {
    CHECK_FALSE(cache.mint(bad));
    CHECK_FALSE(cache.get(bad));
  }
  CHECK(cache.size() == 0);
}

TEST_CASE("cert_cache: cache hits, normalisation, LRU eviction", "[proxy][cert]") {
  TempDir d;
  CertCacheOptions options;
  options.capacity = 2;
  CertCache cache(ec_ca(d), options);
  auto a = cache.get("a.example");
  REQUIRE(a);
  auto a2 = cache.get("A.EXAMPLE.:443");
  REQUIRE(a2);
  CHECK(a->get() == a2->get());
  CHECK(cache.mints() == 1);
  auto b = cache.get("b.example");
  REQUIRE(b);
  CHECK(b->get() != a->get());
  CHECK(cache.get("a.example"));  // a is now most recently used
  CHECK(cache.get("c.example"));  // evicts b
  CHECK(cache.size() == 2);
  CHECK(cache.mints() == 3);
  CHECK(cache.get("a.example").value().get() == a->get());
  CHECK(cache.mints() == 3);
  auto b2 = cache.get("b.example");
  REQUIRE(b2);
  CHECK(cache.mints() == 4);
  CHECK(b2->get() != b->get());
}

TEST_CASE("cert_cache: entries age out before the leaf expires", "[proxy][cert]") {
  TempDir d;
  auto now = std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  CertCacheOptions options;
  options.leaf_lifetime = std::chrono::hours(4);
  options.now = [now] { return *now; };
  CertCache cache(ec_ca(d), options);
  auto first = cache.get("x.example");
  REQUIRE(first);
  *now += std::chrono::hours(2) + std::chrono::minutes(59);
  CHECK(cache.get("x.example").value().get() == first->get());
  *now += std::chrono::minutes(2);  // within 1h of notAfter: re-minted
  auto second = cache.get("x.example");
  REQUIRE(second);
  CHECK(second->get() != first->get());
  CHECK(cache.mints() == 2);
}

TEST_CASE("cert_cache: concurrent first requests mint once", "[proxy][cert]") {
  TempDir d;
  CertCache cache(ec_ca(d), {});
  constexpr int kThreads = 16;
  std::atomic<int> ready{0};
  std::vector<SSL_CTX*> seen(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      auto ctx = cache.get("same.example");
      if (ctx) seen[i] = ctx->get();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(cache.mints() == 1);
  for (auto* p : seen) CHECK(p == seen[0]);
  CHECK(seen[0] != nullptr);
}

namespace {

using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;

// Runs a handshake between two SSL objects through memory BIOs.
bool handshake(SSL* client, SSL* server) {
  BIO *c_bio = nullptr, *s_bio = nullptr;
  BIO_new_bio_pair(&c_bio, 0, &s_bio, 0);
  SSL_set_bio(client, c_bio, c_bio);
  SSL_set_bio(server, s_bio, s_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  bool c_done = false, s_done = false;
  for (int i = 0; i < 100 && !(c_done && s_done); ++i) {
    if (!c_done) {
      int r = SSL_do_handshake(client);
      if (r == 1) c_done = true;
      else if (SSL_get_error(client, r) != SSL_ERROR_WANT_READ) return false;
    }
    if (!s_done) {
      int r = SSL_do_handshake(server);
      if (r == 1) s_done = true;
      else if (SSL_get_error(server, r) != SSL_ERROR_WANT_READ) return false;
    }
  }
  return c_done && s_done;
}

sr::proxy::SslCtxPtr client_ctx(X509* ca) {
  sr::proxy::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

}  // namespace

TEST_CASE("cert_cache: real TLS handshake with a leaf swapped in by SSL_set_SSL_CTX", "[proxy][cert]") {
  TempDir d;
  CertCache cache(ec_ca(d), {});
  auto base = sr::proxy::make_server_ctx();
  REQUIRE(base);
  auto leaf = cache.get("svc.example");
  REQUIRE(leaf);
  auto cctx = client_ctx(cache.authority().cert.get());

  SslPtr server(SSL_new(base->get()), &SSL_free);
  SSL_set_SSL_CTX(server.get(), leaf->get());
  sr::proxy::offer_alpn(server.get(), sr::proxy::AlpnOffer::http1);  // as the tunnel does
  SslPtr client(SSL_new(cctx.get()), &SSL_free);
  SSL_set1_host(client.get(), "svc.example");
  SSL_set_tlsext_host_name(client.get(), "something-else.example");  // the SNI does not matter
  static const unsigned char alpn[] = "\x02h2\x08http/1.1";
  SSL_set_alpn_protos(client.get(), alpn, sizeof alpn - 1);
  REQUIRE(handshake(client.get(), server.get()));
  CHECK(SSL_get_verify_result(client.get()) == X509_V_OK);
  const unsigned char* proto = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(client.get(), &proto, &len);
  CHECK(std::string(reinterpret_cast<const char*>(proto), len) == "http/1.1");
  CHECK(sr::proxy::negotiated_alpn(server.get()) == "http/1.1");
  // the chain served is [leaf, CA]
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(client.get());
  REQUIRE(chain != nullptr);
  CHECK(sk_X509_num(chain) == 2);

  SECTION("a client that offers only h2 gets no ALPN but a working handshake") {
    SslPtr s2(SSL_new(leaf->get()), &SSL_free);
    sr::proxy::offer_alpn(s2.get(), sr::proxy::AlpnOffer::http1);
    SslPtr c2(SSL_new(cctx.get()), &SSL_free);
    static const unsigned char h2[] = "\x02h2";
    SSL_set_alpn_protos(c2.get(), h2, sizeof h2 - 1);
    SSL_set1_host(c2.get(), "svc.example");
    REQUIRE(handshake(c2.get(), s2.get()));
    SSL_get0_alpn_selected(c2.get(), &proto, &len);
    CHECK(len == 0);
  }
  SECTION("the cache's contexts offer nothing by themselves: the connection's owner chooses ALPN") {
    SslPtr s3(SSL_new(leaf->get()), &SSL_free);
    SslPtr c3(SSL_new(cctx.get()), &SSL_free);
    SSL_set_alpn_protos(c3.get(), alpn, sizeof alpn - 1);
    SSL_set1_host(c3.get(), "svc.example");
    REQUIRE(handshake(c3.get(), s3.get()));
    SSL_get0_alpn_selected(c3.get(), &proto, &len);
    CHECK(len == 0);
    CHECK(sr::proxy::negotiated_alpn(s3.get()).empty());
  }
  SECTION("no TLS 1.3 session tickets are sent (nothing resumes towards sandboxes)") {
    static int tickets;
    tickets = 0;
    auto tctx = client_ctx(cache.authority().cert.get());
    SSL_CTX_set_session_cache_mode(tctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(tctx.get(), [](SSL*, SSL_SESSION*) {
      ++tickets;
      return 0;
    });
    SslPtr s4(SSL_new(base->get()), &SSL_free);
    SSL_set_SSL_CTX(s4.get(), leaf->get());
    SslPtr c4(SSL_new(tctx.get()), &SSL_free);
    SSL_set1_host(c4.get(), "svc.example");
    REQUIRE(handshake(c4.get(), s4.get()));
    CHECK(SSL_version(c4.get()) == TLS1_3_VERSION);
    // Post-handshake messages (tickets) would arrive ahead of this byte.
    REQUIRE(SSL_write(s4.get(), "x", 1) == 1);
    char byte = 0;
    REQUIRE(SSL_read(c4.get(), &byte, 1) == 1);
    CHECK(byte == 'x');
    CHECK(tickets == 0);
  }
  SECTION("TLS 1.1 clients are refused") {
    SslPtr s3(SSL_new(leaf->get()), &SSL_free);
    auto old = client_ctx(cache.authority().cert.get());
    SSL_CTX_set_min_proto_version(old.get(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old.get(), TLS1_1_VERSION);
    SSL_CTX_set_security_level(old.get(), 0);
    SslPtr c3(SSL_new(old.get()), &SSL_free);
    CHECK_FALSE(handshake(c3.get(), s3.get()));
    ERR_clear_error();
  }
}
