#include "util/shared_library.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using sr::util::SharedLibrary;

TEST_CASE("SharedLibrary binds an exported function of a loaded library") {
  auto lib = SharedLibrary::open("libc.so.6", "libc6");
  REQUIRE(lib);
  decltype(&::strlen) fn = nullptr;
  REQUIRE(lib->bind("strlen", fn));
  CHECK(fn("four") == 4);
}

TEST_CASE("SharedLibrary names the missing library and the package that installs it") {
  auto lib = SharedLibrary::open("libsr-absent.so.1", "libsr-absent1");
  REQUIRE_FALSE(lib);
  CHECK_THAT(lib.error().message,
             Catch::StartsWith("loading libsr-absent.so.1 (install libsr-absent1): ") &&
                 Catch::Contains("libsr-absent.so.1"));
}

TEST_CASE("SharedLibrary names a missing symbol") {
  auto lib = SharedLibrary::open("libc.so.6", "libc6");
  REQUIRE(lib);
  void (*fn)() = nullptr;
  auto bound = lib->bind("sr_no_such_symbol", fn);
  REQUIRE_FALSE(bound);
  CHECK(bound.error().message == "loading libc.so.6: symbol sr_no_such_symbol is missing");
  CHECK(fn == nullptr);
}
