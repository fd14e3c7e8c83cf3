#include "util/base64.hpp"

#include <algorithm>
#include <cstdint>

#include "util/nettle_api.hpp"

namespace sr::util {

std::string base64_encode(std::string_view raw) {
  std::string out(BASE64_ENCODE_RAW_LENGTH(raw.size()), '\0');
  detail::nettle().base64_encode_raw(out.data(), raw.size(),
                                     reinterpret_cast<const std::uint8_t*>(raw.data()));
  return out;
}

std::string base64url_encode(std::string_view raw) {
  std::string out = base64_encode(raw);
  std::ranges::replace(out, '+', '-');
  std::ranges::replace(out, '/', '_');
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string padded(text);
  while (padded.size() % 4 != 0) padded += '=';
  const auto& n = detail::nettle();
  base64_decode_ctx ctx;
  n.base64_decode_init(&ctx);
  std::string out(BASE64_DECODE_LENGTH(padded.size()), '\0');
  std::size_t len = out.size();
  if (!n.base64_decode_update(&ctx, &len, reinterpret_cast<std::uint8_t*>(out.data()),
                              padded.size(), padded.data()) ||
      !n.base64_decode_final(&ctx))
    return std::nullopt;
  out.resize(len);
  return out;
}

}  // namespace sr::util
