#include "proxy/secrets.hpp"

namespace sr::proxy {
SecretLookup environment_lookup() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };  // STUB
}
util::Result<SecretSet> SecretSet::create(const std::vector<proxyconf::Secret>&, const SecretLookup&) {
  return util::fail(util::ErrorKind::generic, "SecretSet: not implemented yet");
}
SwapOutcome SecretSet::apply(RequestHead&, std::string_view, std::string*) const {
  return {Decision::reject, "secrets: not implemented yet", {}, false};
}
bool SecretSet::wants_body(std::string_view) const { return false; }
std::vector<ValueToken> SecretSet::value_tokens() const { return {}; }
std::string SecretSet::redact(std::string_view text) const { return std::string(text); }
}  // namespace sr::proxy
