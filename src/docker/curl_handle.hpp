// RAII owners for libcurl handles and the options every Engine API request
// shares (endpoint, TLS files). Internal to sr::docker.
#pragma once

#include "docker/curl_api.hpp"

#include <memory>
#include <string>

#include "docker/host.hpp"
#include "util/error.hpp"

namespace sr::docker::detail {

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl().easy_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl().slist_free_all(l); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Loads and initializes libcurl once per process (thread-safe).
util::Result<void> ensure_curl_global();

util::Result<CurlEasy> new_easy();

// Resets h and applies the endpoint's connection options.
void apply_endpoint(CURL* h, const Endpoint& ep, char* error_buffer);

// Maps a failed transfer to an Error that says what to check.
util::Error transfer_error(CURL* h, CURLcode code, const char* error_buffer, const Endpoint& ep);

// Appends a header; the list stays owned by `list`.
void append_header(CurlSlist& list, const char* header);

}  // namespace sr::docker::detail
