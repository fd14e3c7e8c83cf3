// Turning Engine API failures into util::Error values.
//
// Contract: an API error reads "<METHOD> <path>: <status> <reason>: <daemon
// message>", e.g.
//   POST /containers/create: 409 Conflict: Conflict. The container name "/x" is already in use
// and its kind follows the HTTP status (404 not_found, 409 conflict, 401/403
// permission_denied, anything else api). <path> is the unversioned path
// without its query string.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "docker/transport.hpp"
#include "util/error.hpp"

namespace sr::docker {

// The daemon's "message" from a JSON error body; the trimmed body itself when
// it is not JSON; empty when the body is empty.
std::string daemon_message(std::string_view body);

std::string_view reason_phrase(long status);

util::ErrorKind kind_from_status(long status);

util::Error api_error(std::string_view method, std::string_view path, long status,
                      std::string_view body);

// api_error() unless r.status is one of `ok`.
util::Result<void> expect_status(const Response& r, std::string_view method, std::string_view path,
                                 std::initializer_list<long> ok);

// The answer's body as JSON; an api error naming the request when malformed.
util::Result<nlohmann::json> parse_json(const Response& r, std::string_view method, std::string_view path);

// A failed connection to the daemon at host_spec (as configured, e.g.
// "unix:///var/run/docker.sock"), worded to say what to check: EACCES/EPERM
// is permission_denied (socket permissions, docker group), anything else
// connect (is dockerd running, DOCKER_HOST).
util::Error connect_error(std::string_view host_spec, int err, std::string_view detail = {});

}  // namespace sr::docker
