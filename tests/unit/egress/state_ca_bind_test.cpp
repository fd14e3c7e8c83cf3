#include <catch2/catch.hpp>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "egress/bind_address.hpp"
#include "egress/ca.hpp"
#include "state_test_support.hpp"

using namespace sr::egress;

TEST_CASE("CA: P-256, CA:TRUE pathlen 0, keyCertSign+cRLSign, subject, one year") {
  auto ca = generate_ca(CaOptions{"testhost", std::chrono::hours(24 * 365)});
  REQUIRE(ca);
  CHECK(ca->key_pem.find("BEGIN PRIVATE KEY") != std::string::npos);  // PKCS8
  BIO* bio = BIO_new_mem_buf(ca->cert_pem.data(), static_cast<int>(ca->cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(cert);
  CHECK(X509_check_ca(cert) >= 1);
  CHECK(X509_get_pathlen(cert) == 0);
  uint32_t ku = X509_get_key_usage(cert);
  CHECK((ku & KU_KEY_CERT_SIGN) != 0);
  CHECK((ku & KU_CRL_SIGN) != 0);
  CHECK((ku & KU_DIGITAL_SIGNATURE) == 0);
  CHECK(X509_get0_subject_key_id(cert) != nullptr);
  int crit = 0;
  void* bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, nullptr);
  CHECK(crit == 1);
  BASIC_CONSTRAINTS_free(static_cast<BASIC_CONSTRAINTS*>(bc));
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  CHECK(EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC);
  char group[64] = {};
  size_t glen = 0;
  EVP_PKEY_get_group_name(pub, group, sizeof group, &glen);
  CHECK(std::string(group) == "prime256v1");
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  CHECK(std::string(cn) == "sandbox-run egress CA (testhost)");
  int days = 0, secs = 0;
  ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert));
  CHECK(days == 365);  // plus the one hour of back-dating
  X509_free(cert);
}

TEST_CASE("CA: written 0600 key / 0644 cert under umask 000, pair verifies") {
  sr_test::TempDir d;
  sr_test::Umask u(0);
  auto ca = generate_ca({});
  REQUIRE(ca);
  REQUIRE(write_ca(*ca, d.path / "ca.crt", d.path / "ca.key"));
  CHECK(sr_test::mode_of(d.path / "ca.key") == 0600);
  CHECK(sr_test::mode_of(d.path / "ca.crt") == 0644);
  CHECK(verify_ca_pair(d.path / "ca.crt", d.path / "ca.key"));
  auto info = inspect_ca(d.path / "ca.crt");
  REQUIRE(info);
  CHECK(info->not_after_epoch > std::time(nullptr) + 364 * 24 * 3600);
  CHECK(info->sha256_fingerprint.size() == 64);
  auto other = generate_ca({});
  REQUIRE(write_ca(*other, d.path / "b.crt", d.path / "b.key"));
  CHECK_FALSE(verify_ca_pair(d.path / "ca.crt", d.path / "b.key"));
}

TEST_CASE("CA: a symlink at ca.key is refused and its target untouched") {
  sr_test::TempDir d;
  sr_test::spit(d.path / "victim", "keep");
  std::filesystem::create_symlink(d.path / "victim", d.path / "ca.key");
  auto ca = generate_ca({});
  REQUIRE(ca);
  auto r = write_ca(*ca, d.path / "ca.crt", d.path / "ca.key");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find((d.path / "ca.key").string()) != std::string::npos);
  CHECK(sr_test::slurp(d.path / "victim") == "keep");
  CHECK_FALSE(std::filesystem::exists(d.path / "ca.crt"));
}

TEST_CASE("bind: only private IPv4 addresses read from the system are accepted") {
  CHECK(validate_bind_address("172.17.0.1"));
  CHECK(validate_bind_address("10.213.37.1"));
  CHECK(validate_bind_address("192.168.5.1"));
  for (const char* bad : {"0.0.0.0", "127.0.0.1", "169.254.1.1", "224.0.0.1", "240.0.0.1",
                          "8.8.8.8", "100.64.0.1", "::1", "nonsense"})
    CHECK_FALSE(validate_bind_address(bad));
}

TEST_CASE("bind: internal gateway, else docker0, else loopback with a warning") {
  std::vector<InterfaceAddress> ifs = {{"lo", "127.0.0.1"}, {"eth0", "192.0.2.2"},
                                       {"docker0", "172.17.0.1"}, {"br-1", "10.213.37.1"}};
  auto internal = choose_bind_address(std::string("10.213.37.1"), "sandbox-egress", ifs);
  CHECK(internal.address == "10.213.37.1");
  CHECK(internal.warnings.empty());

  auto missing = choose_bind_address(std::string("10.213.99.1"), "sandbox-egress", ifs);
  CHECK(missing.address == "172.17.0.1");
  CHECK(missing.warnings.size() == 1);

  auto bridge = choose_bind_address(std::nullopt, "sandbox-egress", ifs);
  CHECK(bridge.address == "172.17.0.1");
  CHECK(bridge.source == "docker0");

  auto none = choose_bind_address(std::nullopt, "x", {{"lo", "127.0.0.1"}});
  CHECK(none.address == "127.0.0.1");
  CHECK(none.warnings.size() == 1);

  auto public_bridge = choose_bind_address(std::nullopt, "x", {{"docker0", "8.8.8.8"}});
  CHECK(public_bridge.address == "127.0.0.1");
  CHECK(public_bridge.warnings.size() == 2);
}
