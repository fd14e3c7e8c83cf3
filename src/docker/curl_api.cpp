#include "docker/curl_api.hpp"

#include <mutex>
#include <string>

#include "util/shared_library.hpp"

namespace sr::docker::detail {

namespace {

CurlApi g_api{};
util::Result<const CurlApi*> g_loaded = util::fail(util::ErrorKind::generic, "libcurl not loaded");

util::Result<const CurlApi*> load_once() {
  auto lib = util::SharedLibrary::open("libcurl.so.4", "libcurl4");
  if (!lib) return std::unexpected(std::move(lib.error()).context("TLS to the Docker daemon needs libcurl"));
#define SR_CURL_BIND(name) SR_TRY(lib->bind("curl_" #name, g_api.name));
  SR_CURL_FUNCTIONS(SR_CURL_BIND)
#undef SR_CURL_BIND
  // curl_global_init is not thread-safe; call_once makes it so. Since 7.57
  // its flags no longer decide whether TLS is initialized.
  if (CURLcode rc = g_api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
    return util::fail(util::ErrorKind::generic, std::string("initializing libcurl: ") + g_api.easy_strerror(rc));
  return &g_api;
}

}  // namespace

util::Result<const CurlApi*> load_curl() {
  static std::once_flag once;
  std::call_once(once, [] { g_loaded = load_once(); });
  return g_loaded;
}

const CurlApi& curl() { return g_api; }

}  // namespace sr::docker::detail
