#include "util/nettle_api.hpp"

#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace sr::util::detail {

namespace {

constexpr const char* kLibrary = "libnettle.so.8";

template <class Fn>
void bind(void* lib, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(::dlsym(lib, name));
  if (out == nullptr)
    throw std::runtime_error(std::string("loading ") + kLibrary + ": symbol " + name +
                             " is missing");
}

NettleApi load() {
  // The handle is never closed: the library stays loaded for the process.
  void* lib = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    throw std::runtime_error(std::string("loading ") + kLibrary +
                             " (install libnettle8): " + (why ? why : "dlopen failed"));
  }
  // The names are nettle's exported ones (its headers #define the short names).
  NettleApi api{};
  bind(lib, "nettle_sha256_init", api.sha256_init);
  bind(lib, "nettle_sha256_update", api.sha256_update);
  bind(lib, "nettle_sha256_digest", api.sha256_digest);
  bind(lib, "nettle_hmac_sha256_set_key", api.hmac_sha256_set_key);
  bind(lib, "nettle_hmac_sha256_update", api.hmac_sha256_update);
  bind(lib, "nettle_hmac_sha256_digest", api.hmac_sha256_digest);
  bind(lib, "nettle_base64_encode_raw", api.base64_encode_raw);
  bind(lib, "nettle_base64_decode_init", api.base64_decode_init);
  bind(lib, "nettle_base64_decode_update", api.base64_decode_update);
  bind(lib, "nettle_base64_decode_final", api.base64_decode_final);
  return api;
}

}  // namespace

const NettleApi& nettle() {
  // A function-local static is initialised once and thread-safely; when
  // load() throws, the next call runs it again.
  static const NettleApi api = load();
  return api;
}

}  // namespace sr::util::detail
