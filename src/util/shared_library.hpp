// A shared library opened with dlopen on first use instead of being linked,
// so that the launcher's ELF does not NEED it (util/nettle_api.hpp and
// docker/curl_api.hpp say why each one is loaded this way).
//
// Contract: open() never closes the handle (the library stays loaded for the
// process, so the bound function pointers stay valid); errors name the
// library, the package that installs it, and dlopen's reason.
#pragma once

#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::util {

class SharedLibrary {
 public:
  // dlopen(soname, RTLD_NOW | RTLD_LOCAL). Error:
  // "loading <soname> (install <package>): <dlerror>".
  static Result<SharedLibrary> open(const char* soname, std::string_view package);

  // Points `out` at the exported symbol `name`. Error:
  // "loading <soname>: symbol <name> is missing".
  template <class Fn>
  Result<void> bind(const char* name, Fn& out) const {
    SR_ASSIGN(void* sym, symbol(name));
    out = reinterpret_cast<Fn>(sym);
    return {};
  }

 private:
  SharedLibrary(void* handle, const char* soname) : handle_(handle), soname_(soname) {}
  Result<void*> symbol(const char* name) const;

  void* handle_;
  const char* soname_;
};

}  // namespace sr::util
