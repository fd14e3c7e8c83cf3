// The doctor's canary: runs the live swap rules on one synthetic inner
// request per secret, without sending anything anywhere, and reports per
// secret whether the token was replaced and HMAC-SHA256(nonce, value) of what
// it was replaced with, so a caller holding the real value can verify it
// without either side revealing it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "proxy/policy/rules.hpp"

namespace sr::proxy {

// {"status":"ok","secrets":[{"name","host","swapped","value_hmac"}...]}
nlohmann::json run_canary(const Rules& rules, const std::string& nonce);

}  // namespace sr::proxy
