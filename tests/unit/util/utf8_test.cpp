#include <catch2/catch.hpp>

#include "util/utf8.hpp"

using sr::util::first_invalid_utf8_line;
using sr::util::valid_utf8;

TEST_CASE("valid_utf8 accepts well-formed text only") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii\n"));
  CHECK(valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x94\x91"));  // é € 🔑
  CHECK(valid_utf8("\xF4\x8F\xBF\xBF"));                            // U+10FFFF
  CHECK_FALSE(valid_utf8("\xFF"));
  CHECK_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(valid_utf8("\xE2\x82"));          // truncated
  CHECK_FALSE(valid_utf8("\x80"));              // lone continuation byte
}

TEST_CASE("first_invalid_utf8_line names the line of the first bad byte") {
  CHECK_FALSE(first_invalid_utf8_line("a\nb\n").has_value());
  CHECK(first_invalid_utf8_line("\xFF").value() == 1);
  CHECK(first_invalid_utf8_line("ok\n\xC3\xA9\nbad \xE2\x82\n\xFF").value() == 3);
}
