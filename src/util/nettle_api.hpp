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

// The functions used, each `name` bound to Nettle's exported nettle_<name>
// (its headers #define the short names to those): listed once, for the
// members below and for the binding in nettle_api.cpp.
#define SR_NETTLE_FUNCTIONS(X)                                                            \
  X(sha256_init) X(sha256_update) X(sha256_digest)                                        \
  X(hmac_sha256_set_key) X(hmac_sha256_update) X(hmac_sha256_digest)                      \
  X(base64_encode_raw) X(base64_decode_init) X(base64_decode_update) X(base64_decode_final)

struct NettleApi {
#define SR_NETTLE_MEMBER(name) decltype(&::nettle_##name) name;
  SR_NETTLE_FUNCTIONS(SR_NETTLE_MEMBER)
#undef SR_NETTLE_MEMBER
};

// Loads libnettle.so.8 once (thread-safe) and returns its API. The library is
// a package dependency, so a failure is a broken installation: throws
// std::runtime_error naming the library and dlopen's reason, which the catch
// at the top of each main reports. A later call tries again.
const NettleApi& nettle();

}  // namespace sr::util::detail
