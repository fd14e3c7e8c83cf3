// "host:port" text: splitting it (with or without IPv6 brackets, with or
// without a port) and writing it back with brackets around IPv6 hosts.
//
// One splitter for every place that reads such text (listen addresses,
// DOCKER_HOST, CONNECT targets and Host fields, --resolve overrides); each
// caller says how it reads the ambiguous cases (several colons without
// brackets, a missing port, port 0) and keeps its own host validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::util {

// How text without brackets but with more than one colon reads.
enum class BareColons {
  refused,       // "::1:80" is an error (Go's net.SplitHostPort: "too many colons")
  ipv6_host,     // "::1:80" is the IPv6 host 0::1:80 without a port (RFC 3986 brackets a v6 host with a port)
  last_is_port,  // "::1:80" is host "::1", port 80 (the last colon starts the port)
};

enum class PortZero { refused, allowed };

// The pieces of "host", "host:port", "[v6]" or "[v6]:port", views into the
// text. `host` never has brackets; `bracketed` says whether it had them.
struct HostPortText {
  std::string_view host;
  std::optional<std::uint16_t> port;  // nullopt: no ":port" in the text
  bool bracketed = false;
};

// Splits without judging the host (it may be empty). Fails (invalid_argument)
// on an unterminated '[', anything but ":port" after ']', a port that is not
// 1-5 ASCII digits or is above 65535, and several bare colons when `colons`
// is BareColons::refused.
Result<HostPortText> split_host_port(std::string_view text, BareColons colons);

struct HostPort {
  std::string host;  // without brackets; may be empty (":8080")
  std::uint16_t port = 0;
};

struct HostPortRules {
  std::optional<std::uint16_t> default_port{};  // nullopt: the port is required
  BareColons colons = BareColons::refused;
  PortZero port_zero = PortZero::refused;
};

// split_host_port plus the rules: a missing port takes `default_port` or
// fails ("expected host:port"); port 0 fails unless allowed.
Result<HostPort> parse_host_port(std::string_view text, const HostPortRules& rules = {});

// "1.2.3.4", "name" unchanged; an IPv6 host (any ':') as "[::1]".
std::string bracket_host(std::string_view host);
// "[::1]" -> "::1"; anything else unchanged.
std::string_view strip_brackets(std::string_view host);
// bracket_host(host) + ":" + port.
std::string format_host_port(std::string_view host, std::uint16_t port);

}  // namespace sr::util
