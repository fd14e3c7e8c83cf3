// Transports other than libcurl. Internal to sr::docker; callers use
// make_transport() from docker/transport.hpp.
#pragma once

#include <memory>

#include "docker/transport.hpp"

namespace sr::docker {

// Plain HTTP over the endpoint's unix socket or tcp address (no TLS).
util::Result<std::unique_ptr<Transport>> make_plain_transport(const Endpoint& endpoint);

}  // namespace sr::docker
