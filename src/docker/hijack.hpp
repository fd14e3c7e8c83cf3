// The attach connection: an HTTP/1.1 upgrade sent over a libcurl
// CONNECT_ONLY handle (so unix sockets and TLS work as for other requests),
// after which the socket carries raw container I/O. Internal to sr::docker.
//
// The response head is parsed by Boost.Beast; bytes that arrive after a 101
// head belong to the stream and are kept.
#pragma once

#include "docker/curl_handle.hpp"
#include "docker/transport.hpp"

namespace sr::docker::detail {

util::Result<Transport::Hijacked> hijack_connection(CurlEasy handle, const Endpoint& ep, const Request& req);

}  // namespace sr::docker::detail
