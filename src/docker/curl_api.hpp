// libcurl, loaded on first use with dlopen. Only a TLS endpoint needs it;
// linking it would map libcurl and its ~30 dependencies (OpenSSL, GnuTLS,
// LDAP, Kerberos...) into every launch, which alone costs more resident
// memory than the whole launcher is allowed (docs/benchmarks.md).
// Internal to sr::docker.
#pragma once

#include <curl/curl.h>

#include "util/error.hpp"

namespace sr::docker::detail {

// The functions used, each `name` bound to libcurl's curl_<name>: listed
// once, for the members below and for the binding in curl_api.cpp.
#define SR_CURL_FUNCTIONS(X)                                                                        \
  X(global_init) X(easy_init) X(easy_cleanup) X(easy_reset) X(easy_setopt) X(easy_getinfo)          \
  X(easy_perform) X(easy_send) X(easy_recv) X(easy_strerror) X(slist_append) X(slist_free_all)

struct CurlApi {
#define SR_CURL_MEMBER(name) decltype(&::curl_##name) name;
  SR_CURL_FUNCTIONS(SR_CURL_MEMBER)
#undef SR_CURL_MEMBER
};

// Loads libcurl.so.4 and runs curl_global_init once (thread-safe).
util::Result<const CurlApi*> load_curl();

// The loaded API; only valid after load_curl() succeeded.
const CurlApi& curl();

}  // namespace sr::docker::detail
