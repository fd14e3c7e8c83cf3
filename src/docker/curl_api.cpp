#include "docker/curl_api.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace sr::docker::detail {

namespace {

CurlApi g_api{};
util::Result<const CurlApi*> g_loaded = util::fail(util::ErrorKind::generic, "libcurl not loaded");

template <class Fn>
bool bind(void* lib, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(::dlsym(lib, name));
  return out != nullptr;
}

util::Result<const CurlApi*> load_once() {
  // The handle is never closed: libcurl stays loaded for the process.
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    return util::fail(util::ErrorKind::generic,
                      std::string("loading libcurl for TLS (install libcurl4): ") + (why ? why : "dlopen failed"));
  }
  bool ok = bind(lib, "curl_global_init", g_api.global_init) && bind(lib, "curl_easy_init", g_api.easy_init) &&
            bind(lib, "curl_easy_cleanup", g_api.easy_cleanup) && bind(lib, "curl_easy_reset", g_api.easy_reset) &&
            bind(lib, "curl_easy_setopt", g_api.easy_setopt) && bind(lib, "curl_easy_getinfo", g_api.easy_getinfo) &&
            bind(lib, "curl_easy_perform", g_api.easy_perform) && bind(lib, "curl_easy_send", g_api.easy_send) &&
            bind(lib, "curl_easy_recv", g_api.easy_recv) && bind(lib, "curl_easy_strerror", g_api.easy_strerror) &&
            bind(lib, "curl_slist_append", g_api.slist_append) &&
            bind(lib, "curl_slist_free_all", g_api.slist_free_all);
  if (!ok) return util::fail(util::ErrorKind::generic, "loading libcurl: a required symbol is missing");
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
