#include "util/random.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <vector>

namespace sr::util {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

Result<std::string> random_hex(std::size_t nbytes) {
  std::vector<unsigned char> buf(nbytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    char err[256];
    ERR_error_string_n(ERR_get_error(), err, sizeof err);
    ERR_clear_error();
    return fail(ErrorKind::generic, std::string("RAND_bytes: ") + err);
  }
  return to_hex(buf.data(), buf.size());
}

}  // namespace sr::util
