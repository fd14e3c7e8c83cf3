// Asking the running engine to re-read proxy.yaml: POST /v1/reload on the
// management listener (as iron-proxy v0.39's), `Authorization: Bearer <management.token>`.
//
// Contract: each failure is its own error, with a message that says what to do:
// not running (ErrorKind::not_found), no management listener configured
// (invalid_argument), key rejected 401 (permission_denied), new config
// rejected 422 with the engine's reason (api; running rules unchanged),
// listener unreachable (connect).
#pragma once

#include <string>

#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "util/error.hpp"

namespace sr::daemon {

util::Result<void> reload_daemon(const egress::Paths& paths, const egress::Config& config);

// POST <url> with the bearer key: the HTTP status and body, or a connect error.
struct HttpReply {
  long status = 0;
  std::string body;
};
util::Result<HttpReply> post_reload(const std::string& url, const std::string& key);

}  // namespace sr::daemon
