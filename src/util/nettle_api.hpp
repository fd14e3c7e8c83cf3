// Nettle (SHA-256, HMAC-SHA256, base64), loaded on first use with dlopen.
// Most launches of sandbox-run need none of them, and the ones that do (the
// egress fingerprint, registry credentials) need a few functions: linking the
// library would cost every launch its relocation and start-up pages, and
// OpenSSL 3's EVP digests cost ~3 MiB (provider and config initialisation),
// against a launcher peak RSS budget of ~6 MiB (docs/benchmarks.md).
// Internal to sr::util.
#pragma once

#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>

namespace sr::util::detail {

struct NettleApi {
  decltype(&::sha256_init) sha256_init;
  decltype(&::sha256_update) sha256_update;
  decltype(&::sha256_digest) sha256_digest;
  decltype(&::hmac_sha256_set_key) hmac_sha256_set_key;
  decltype(&::hmac_sha256_update) hmac_sha256_update;
  decltype(&::hmac_sha256_digest) hmac_sha256_digest;
  decltype(&::base64_encode_raw) base64_encode_raw;
  decltype(&::base64_decode_init) base64_decode_init;
  decltype(&::base64_decode_update) base64_decode_update;
  decltype(&::base64_decode_final) base64_decode_final;
};

// Loads libnettle.so.8 once (thread-safe) and returns its API. The library is
// a package dependency, so a failure is a broken installation: throws
// std::runtime_error naming the library and dlopen's reason, which the catch
// at the top of each main reports. A later call tries again.
const NettleApi& nettle();

}  // namespace sr::util::detail
