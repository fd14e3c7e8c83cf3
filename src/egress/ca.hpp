// The egress CA: generated in-process with OpenSSL 3 (no shelling out).
//
// ECDSA P-256, basicConstraints critical CA:TRUE pathlen:0, keyUsage critical
// keyCertSign+cRLSign, subjectKeyIdentifier, subject
// CN "sandbox-run egress CA (<hostname>)" O "sandbox-run", 128-bit random
// serial. ca.key is written PKCS8 PEM 0600, ca.crt PEM 0644, both atomically.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "util/error.hpp"

namespace sr::egress {

struct CaPem {
  std::string cert_pem;
  std::string key_pem;  // PKCS8
};

struct CaOptions {
  std::string hostname;              // empty -> gethostname()
  std::chrono::hours validity{24 * 365};
};

util::Result<CaPem> generate_ca(const CaOptions& options);

// Writes ca.crt (0644) and ca.key (0600) atomically; key first, so a
// certificate never exists without its key. Refuses symlinks.
util::Result<void> write_ca(const CaPem& ca, const std::filesystem::path& cert_path,
                            const std::filesystem::path& key_path);

struct CaInfo {
  std::string subject;      // one-line RFC 2253 form
  std::string not_after;    // ISO 8601 UTC, e.g. 2027-11-28T18:00:00Z
  std::int64_t not_after_epoch = 0;
  std::string sha256_fingerprint;  // lowercase hex of the DER
};

// Reads and describes a PEM certificate (no symlink following).
util::Result<CaInfo> inspect_ca(const std::filesystem::path& cert_path);

// Checks the key file matches the certificate.
util::Result<void> verify_ca_pair(const std::filesystem::path& cert_path,
                                  const std::filesystem::path& key_path);

}  // namespace sr::egress
