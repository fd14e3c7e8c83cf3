#include "egress/ca.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <ctime>
#include <memory>

#include "util/atomic_file.hpp"
#include "util/random.hpp"

namespace sr::egress {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

// "<what>: <openssl error queue>", draining the queue.
std::unexpected<util::Error> ssl_fail(const std::string& what) {
  std::string msg = what;
  const char* sep = ": ";
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += sep;
    msg += buf;
    sep = "; ";
  }
  return util::fail(util::ErrorKind::generic, msg);
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string local_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

util::Result<void> add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return ssl_fail(std::string("adding extension ") + OBJ_nid2sn(nid));
  return {};
}

util::Result<void> set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return ssl_fail("RAND_bytes");
  bytes[0] &= 0x7f;  // positive, as RFC 5280 requires
  BnPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
    return ssl_fail("setting serial number");
  return {};
}

util::Result<void> set_subject(X509* cert, const std::string& host) {
  X509_NAME* name = X509_get_subject_name(cert);
  std::string cn = "sandbox-run egress CA (" + host + ")";
  if (cn.size() > 64) cn = cn.substr(0, 63) + ")";  // CN upper bound (RFC 5280)
  auto add = [&](const char* field, const std::string& v) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0) == 1;
  };
  if (!add("O", "sandbox-run") || !add("CN", cn)) return ssl_fail("setting subject");
  if (X509_set_issuer_name(cert, name) != 1) return ssl_fail("setting issuer");
  return {};
}

util::Result<X509Ptr> read_cert(const std::filesystem::path& path) {
  SR_ASSIGN(std::string pem, util::read_file_nofollow(path));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return ssl_fail("parsing certificate " + path.string());
  return cert;
}

}  // namespace

util::Result<CaPem> generate_ca(const CaOptions& options) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ssl_fail("generating P-256 key");
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return ssl_fail("creating certificate");
  SR_TRY(set_random_serial(cert.get()));
  SR_TRY(set_subject(cert.get(), options.hostname.empty() ? local_hostname() : options.hostname));
  // Back-date by an hour so clients with a slightly slow clock accept it.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                       static_cast<long>(std::chrono::seconds(options.validity).count())))
    return ssl_fail("setting validity");
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return ssl_fail("setting public key");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  SR_TRY(add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  SR_TRY(add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  SR_TRY(add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return ssl_fail("signing certificate");

  CaPem out;
  BioPtr cbio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cbio.get(), cert.get()) != 1) return ssl_fail("encoding certificate");
  out.cert_pem = bio_string(cbio.get());
  BioPtr kbio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY").
  if (PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return ssl_fail("encoding private key");
  out.key_pem = bio_string(kbio.get());
  return out;
}

util::Result<void> write_ca(const CaPem& ca, const std::filesystem::path& cert_path,
                            const std::filesystem::path& key_path) {
  SR_TRY(util::refuse_symlink(cert_path));
  SR_TRY(util::with_context(util::write_file_atomic(key_path, ca.key_pem, 0600),
                            "writing CA key"));
  return util::with_context(util::write_file_atomic(cert_path, ca.cert_pem, 0644),
                            "writing CA certificate");
}

util::Result<CaInfo> inspect_ca(const std::filesystem::path& cert_path) {
  SR_ASSIGN(X509Ptr cert, read_cert(cert_path));
  CaInfo info;
  BioPtr sbio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(sbio.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253);
  info.subject = bio_string(sbio.get());
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1)
    return ssl_fail("reading notAfter of " + cert_path.string());
  info.not_after_epoch = static_cast<std::int64_t>(timegm(&tm));
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  info.not_after = buf;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &len) != 1)
    return ssl_fail("hashing " + cert_path.string());
  info.sha256_fingerprint = util::to_hex(md, len);
  return info;
}

util::Result<void> verify_ca_pair(const std::filesystem::path& cert_path,
                                  const std::filesystem::path& key_path) {
  SR_ASSIGN(X509Ptr cert, read_cert(cert_path));
  SR_ASSIGN(std::string pem, util::read_file_nofollow(key_path));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return ssl_fail("parsing CA key " + key_path.string());
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return ssl_fail(key_path.string() + " does not match " + cert_path.string());
  return {};
}

}  // namespace sr::egress
