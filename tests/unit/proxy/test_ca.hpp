// Test PKI for the engine's unit tests: a temporary directory and a
// self-signed CA written as PEM files and loaded back through
// CertAuthority::load (as `serve` loads the real one).
#pragma once

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "proxy/tls/cert_cache.hpp"

namespace sr_test {

namespace fs = std::filesystem;
using sr::proxy::CertAuthority;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sr-cert-test-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

enum class KeyForm { pkcs8, traditional };

// Writes a self-signed CA (cert + key) and returns the CA.
inline CertAuthority write_ca(const fs::path& dir, EVP_PKEY* key_in, KeyForm form, bool is_ca = true) {
  sr::proxy::EvpPkeyPtr key(key_in, &EVP_PKEY_free);
  sr::proxy::X509Ptr cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400 * 30);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sr test CA"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  auto ext = [&](int nid, const char* v) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, v);
    REQUIRE(e != nullptr);
    X509_add_ext(cert.get(), e, -1);
    X509_EXTENSION_free(e);
  };
  ext(NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (is_ca) ext(NID_key_usage, "critical,keyCertSign,cRLSign");
  ext(NID_subject_key_identifier, "hash");
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  {
    BIO* b = BIO_new_file((dir / "ca.crt").c_str(), "w");
    PEM_write_bio_X509(b, cert.get());
    BIO_free(b);
    b = BIO_new_file((dir / "ca.key").c_str(), "w");
    if (form == KeyForm::pkcs8)
      PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    else
      PEM_write_bio_PrivateKey_traditional(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    BIO_free(b);
  }
  auto ca = CertAuthority::load(dir / "ca.crt", dir / "ca.key");
  REQUIRE(ca);
  return std::move(*ca);
}

}  // namespace sr_test
