#include "util/shared_library.hpp"

#include <dlfcn.h>

namespace sr::util {

Result<SharedLibrary> SharedLibrary::open(const char* soname, std::string_view package) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return fail(ErrorKind::generic, std::string("loading ") + soname + " (install " + std::string(package) +
                                        "): " + (why ? why : "dlopen failed"));
  }
  return SharedLibrary(handle, soname);
}

Result<void*> SharedLibrary::symbol(const char* name) const {
  void* sym = ::dlsym(handle_, name);
  if (sym == nullptr)
    return fail(ErrorKind::generic, std::string("loading ") + soname_ + ": symbol " + name + " is missing");
  return sym;
}

}  // namespace sr::util
