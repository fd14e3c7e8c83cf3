// libcurl, loaded on first use with dlopen. Only a TLS endpoint needs it;
// linking it would map libcurl and its ~30 dependencies (OpenSSL, GnuTLS,
// LDAP, Kerberos...) into every launch, which alone costs more resident
// memory than the whole launcher is allowed (docs/benchmarks.md).
// Internal to sr::docker.
#pragma once

#include <curl/curl.h>

#include "util/error.hpp"

namespace sr::docker::detail {

struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_send) easy_send;
  decltype(&::curl_easy_recv) easy_recv;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// Loads libcurl.so.4 and runs curl_global_init once (thread-safe).
util::Result<const CurlApi*> load_curl();

// The loaded API; only valid after load_curl() succeeded.
const CurlApi& curl();

}  // namespace sr::docker::detail
