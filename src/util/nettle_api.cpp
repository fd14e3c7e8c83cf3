#include "util/nettle_api.hpp"

#include <stdexcept>

#include "util/shared_library.hpp"

namespace sr::util::detail {

namespace {

Result<NettleApi> bind_all() {
  SR_ASSIGN(const SharedLibrary lib, SharedLibrary::open("libnettle.so.8", "libnettle8"));
  NettleApi api{};
#define SR_NETTLE_BIND(name) SR_TRY(lib.bind("nettle_" #name, api.name));
  SR_NETTLE_FUNCTIONS(SR_NETTLE_BIND)
#undef SR_NETTLE_BIND
  return api;
}

NettleApi load() {
  auto api = bind_all();
  if (!api) throw std::runtime_error(api.error().message);
  return *api;
}

}  // namespace

const NettleApi& nettle() {
  // A function-local static is initialised once and thread-safely; when
  // load() throws, the next call runs it again.
  static const NettleApi api = load();
  return api;
}

}  // namespace sr::util::detail
