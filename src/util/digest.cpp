#include "util/digest.hpp"

#include "util/nettle_api.hpp"
#include "util/random.hpp"

namespace sr::util {

std::string sha256_hex(std::string_view data) {
  const auto& n = detail::nettle();
  sha256_ctx ctx;
  n.sha256_init(&ctx);
  n.sha256_update(&ctx, data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));
  std::uint8_t md[SHA256_DIGEST_SIZE];
  n.sha256_digest(&ctx, sizeof md, md);
  return to_hex(md, sizeof md);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  const auto& n = detail::nettle();
  hmac_sha256_ctx ctx;
  n.hmac_sha256_set_key(&ctx, key.size(), reinterpret_cast<const std::uint8_t*>(key.data()));
  n.hmac_sha256_update(&ctx, data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));
  std::uint8_t md[SHA256_DIGEST_SIZE];
  n.hmac_sha256_digest(&ctx, sizeof md, md);
  return to_hex(md, sizeof md);
}

}  // namespace sr::util
