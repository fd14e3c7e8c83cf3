#include <catch2/catch.hpp>

#include "util/url.hpp"

using sr::util::percent_encode;

TEST_CASE("percent_encode keeps unreserved characters and encodes every other byte") {
  CHECK(percent_encode("") == "");
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b&c=d/e+f?g#h%") == "a%20b%26c%3Dd%2Fe%2Bf%3Fg%23h%25");
  CHECK(percent_encode(std::string("\x00\xff", 2)) == "%00%FF");
  CHECK(percent_encode("{\"label\":[\"x=y\"]}") == "%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D");
}
