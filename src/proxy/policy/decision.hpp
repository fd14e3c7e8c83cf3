// The outcome of one proxied request, shared by the pipeline, the audit log
// and the metrics.
#pragma once

#include <string_view>

namespace sr::proxy {

enum class Decision {
  allow,   // forwarded upstream (whatever status the upstream answered)
  reject,  // refused by policy: allowlist, deny CIDR, wrong-host token, require
  error,   // could not be completed: upstream unreachable, TLS failure, timeout
};

constexpr std::string_view to_string(Decision d) {
  switch (d) {
    case Decision::allow: return "allow";
    case Decision::reject: return "reject";
    case Decision::error: return "error";
  }
  return "error";
}

}  // namespace sr::proxy
