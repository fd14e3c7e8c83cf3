#include "util/random.hpp"

#include <sys/random.h>

#include <cerrno>
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
  // The kernel's CSPRNG directly (it seeds OpenSSL's too), so no crypto
  // library is loaded for a token or a nonce. getrandom blocks only until
  // the pool is initialised once after boot; reads up to 256 bytes are not
  // split, larger ones may be, and a signal may interrupt any of them.
  std::vector<unsigned char> buf(nbytes);
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::getrandom(buf.data() + done, buf.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("getrandom");
    }
    done += static_cast<std::size_t>(n);
  }
  return to_hex(buf.data(), buf.size());
}

}  // namespace sr::util
