// The request-target and the one authority a request may name (RFC 9112
// §3.2): origin-form "/path?query", absolute-form "scheme://host[:port]/..."
// and asterisk-form "*" (OPTIONS only).
#pragma once

#include <string>
#include <string_view>

#include "proxy/policy/request_head.hpp"

namespace sr::proxy::policy {

struct ParsedTarget {
  enum class Form { origin, absolute, asterisk };
  Form form = Form::origin;
  std::string_view scheme;  // absolute-form, as sent
  Authority authority;      // absolute-form: normalised host, explicit or scheme-default port
  std::string_view rest;    // path and query ("" or starting with '/' or '?')
};

// Parses and checks the target: visible ASCII only, no fragment, no userinfo
// in an authority, a port only where the scheme has a default or it is
// explicit. Refusals are 400 and close the connection.
std::expected<ParsedTarget, Refusal> parse_target(std::string_view target, std::string_view method);

// The origin-form sent upstream for `rest` ("/" when empty, a '/' put before
// a bare "?query").
std::string origin_form(std::string_view rest);

// A Host field's value as the authority of a plain-HTTP request (port 80 by
// default); 400 when it is not host[:port].
std::expected<Authority, Refusal> parse_host_authority(std::string_view value);

// "host[:port]" as the Host field names it (brackets for IPv6; the port left
// out when it is the default of the leg's scheme).
std::string host_field(const Authority& a);

}  // namespace sr::proxy::policy
