#include "proxy/cert_cache.hpp"

namespace sr::proxy {
util::Result<SslCtxPtr> make_server_ctx() {
  return util::fail(util::ErrorKind::generic, "make_server_ctx: not implemented yet");
}
util::Result<CertAuthority> CertAuthority::load(const std::filesystem::path&, const std::filesystem::path&) {
  return util::fail(util::ErrorKind::generic, "CertAuthority::load: not implemented yet");
}
CertCache::CertCache(CertAuthority ca, CertCacheOptions options)
    : ca_(std::move(ca)), options_(std::move(options)) {}
util::Result<SslCtxPtr> CertCache::get(std::string_view) {
  return util::fail(util::ErrorKind::generic, "CertCache::get: not implemented yet");
}
std::size_t CertCache::size() const { return 0; }
util::Result<CertCache::Leaf> CertCache::mint(std::string_view) const {
  return util::fail(util::ErrorKind::generic, "CertCache::mint: not implemented yet");
}
util::Result<SslCtxPtr> CertCache::build_ctx(std::string_view) const {
  return util::fail(util::ErrorKind::generic, "not implemented yet");
}
}  // namespace sr::proxy
