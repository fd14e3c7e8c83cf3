// SHA-256, HMAC-SHA256 and base64 against their standards' test vectors
// (FIPS 180-2, RFC 4231, RFC 4648): the functions load their library on first
// use, and these pin the results whichever library that is.
#include <catch2/catch.hpp>

#include "util/base64.hpp"
#include "util/digest.hpp"

using namespace sr::util;

TEST_CASE("sha256_hex: FIPS 180-2 vectors", "[digest]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("hmac_sha256_hex: RFC 4231 test cases 2 and 6", "[digest]") {
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than the block size is hashed first.
  CHECK(hmac_sha256_hex(std::string(131, '\xaa'),
                        "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("base64: RFC 4648 vectors, URL alphabet, optional padding", "[base64]") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [raw, text] : vectors) {
    CAPTURE(raw);
    CHECK(base64_encode(raw) == text);
    CHECK(base64_decode(text) == raw);
  }
  CHECK(base64_decode("Zm8") == "fo");
  CHECK(base64_decode("Zg") == "f");
  CHECK(base64_encode("\xfb\xff") == "+/8=");
  CHECK(base64url_encode("\xfb\xff") == "-_8=");
  CHECK(base64_decode("alice:s3cr:et") == std::nullopt);
  CHECK(base64_decode("Zm9v!") == std::nullopt);
  CHECK(base64_decode("Z===") == std::nullopt);
}
