#include <catch2/catch.hpp>

#include "util/error.hpp"

using sr::util::ErrorKind;
using sr::util::Result;

namespace {
Result<int> inner() { return sr::util::fail_errno("open(/x)", ENOENT); }
Result<int> outer() {
  SR_ASSIGN(int v, inner());
  return v + 1;
}
}  // namespace

TEST_CASE("errors read as a chain of intent, outermost first") {
  auto r = outer();
  REQUIRE_FALSE(r);
  auto e = r.error().context("loading state");
  CHECK(e.message == "loading state: open(/x): No such file or directory");
  CHECK(e.kind == ErrorKind::not_found);
  CHECK(e.sys_errno == ENOENT);
}
