#include "proxy/net.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "proxy/admin/admin_http.hpp"

namespace sr::proxy {

namespace {

// Compares two secrets in time independent of where they differ and of
// their lengths: both are hashed first, then the digests are compared with
// CRYPTO_memcmp.
bool secret_equals(std::string_view a, std::string_view b) {
  unsigned char da[EVP_MAX_MD_SIZE];
  unsigned char db[EVP_MAX_MD_SIZE];
  unsigned int la = 0;
  unsigned int lb = 0;
  if (!EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr) ||
      !EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr) || la != lb)
    return false;
  return CRYPTO_memcmp(da, db, la) == 0;
}

AdminResponse json_response(const AdminRequest& req, http::status status,
                            const nlohmann::json& body) {
  return admin_response(req, status, "application/json", body.dump());
}

}  // namespace

// The nonce of "/v1/canary?nonce=<hex>", or nullopt for another target.
static std::optional<std::string> canary_nonce(std::string_view target) {
  constexpr std::string_view prefix = "/v1/canary?nonce=";
  if (!target.starts_with(prefix)) return std::nullopt;
  std::string nonce(target.substr(prefix.size()));
  if (nonce.empty() || nonce.size() > 128 ||
      nonce.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return std::nullopt;
  return nonce;
}

AdminHandler management_handler(std::string key,
                                 std::function<std::optional<std::string>()> reload,
                                 std::function<nlohmann::json(const std::string&)> canary) {
  return [key = std::move(key), reload = std::move(reload),
          canary = std::move(canary)](const AdminRequest& req) {
    const auto nonce = canary ? canary_nonce(sv(req.target())) : std::nullopt;
    if (req.target() != "/v1/reload" && !nonce)
      return json_response(req, http::status::not_found, {{"error", "not found"}});
    if (req.method() != http::verb::post)
      return json_response(req, http::status::method_not_allowed, {{"error", "use POST"}});
    std::string_view auth = sv(req[http::field::authorization]);
    constexpr std::string_view prefix = "Bearer ";
    bool ok = auth.size() > prefix.size() &&
              beast::iequals(bsv(auth.substr(0, prefix.size())), bsv(prefix)) && !key.empty() &&
              secret_equals(auth.substr(prefix.size()), key);
    if (!ok) return json_response(req, http::status::unauthorized, {{"error", "unauthorized"}});
    if (nonce) return json_response(req, http::status::ok, canary(*nonce));
    if (auto error = reload())
      return json_response(req, http::status::unprocessable_entity, {{"error", *error}});
    return json_response(req, http::status::ok, {{"status", "ok"}});
  };
}

}  // namespace sr::proxy
