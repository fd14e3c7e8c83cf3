// The attach connection: an HTTP/1.1 upgrade sent over a libcurl
// CONNECT_ONLY handle (so unix sockets and TLS work as for other requests),
// after which the socket carries raw container I/O. Internal to sr::docker.
//
// Only the single response head is read by hand: its status line and the end
// of its headers (plus Content-Length for an error body). Bytes that arrive
// after the head belong to the stream and are kept.
#pragma once

#include <string_view>

#include "docker/curl_handle.hpp"
#include "docker/transport.hpp"

namespace sr::docker::detail {

util::Result<Transport::Hijacked> hijack_connection(CurlEasy handle, const Endpoint& ep, const Request& req);

// Parses "HTTP/1.1 101 UPGRADED"; 0 when malformed.
long parse_status_line(std::string_view head);
// The Content-Length header's value in a response head, -1 when absent.
long long content_length(std::string_view head);

}  // namespace sr::docker::detail
