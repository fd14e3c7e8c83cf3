// Values of the DNS, link and port options of `docker run`, as docker/cli
// opts/opts.go (ValidateIPAddress, ValidateDNSSearch, ValidateLink),
// go-connections/nat (SplitProtoPort, ParsePortRange) and Go's net.ParseMAC
// read them.
#include <arpa/inet.h>

#include <charconv>
#include <regex>
#include <string>

#include "cli/run/values.hpp"

namespace sr::cli {
namespace {

using util::ErrorKind;
using util::fail;

std::string_view trim(std::string_view s, std::string_view chars) {
  const auto first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

// strconv.ParseUint(s, 10, 16) with its error text.
util::Result<unsigned> port_number(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  const std::string q = "\"" + std::string(s) + "\"";
  if (s.empty() || end != s.data() + s.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return fail(ErrorKind::invalid_argument, "strconv.ParseUint: parsing " + q + ": invalid syntax");
  if (ec == std::errc::result_out_of_range || v > 65535)
    return fail(ErrorKind::invalid_argument, "strconv.ParseUint: parsing " + q + ": value out of range");
  return v;
}

util::Result<std::pair<unsigned, unsigned>> port_range(std::string_view s) {
  if (s.empty()) return fail(ErrorKind::invalid_argument, "empty string specified for ports");
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    SR_ASSIGN(const unsigned p, port_number(s));
    return std::pair{p, p};
  }
  std::string_view second = s.substr(dash + 1);
  second = second.substr(0, second.find('-'));
  SR_ASSIGN(const unsigned start, port_number(s.substr(0, dash)));
  SR_ASSIGN(const unsigned end, port_number(second));
  if (end < start)
    return fail(ErrorKind::invalid_argument, "invalid range specified for port: " + std::string(s));
  return std::pair{start, end};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

util::Result<std::string> parse_dns_server(std::string_view s) {
  const std::string text(trim(s, " \t\n\v\f\r"));
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1 && inet_ntop(AF_INET, buf, out, sizeof out))
    return std::string(out);
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1 && inet_ntop(AF_INET6, buf, out, sizeof out))
    return std::string(out);
  return fail(ErrorKind::invalid_argument, "IP address is not correctly formatted: " + std::string(s));
}

util::Result<std::string> parse_dns_search(std::string_view s) {
  const std::string v(trim(s, " "));
  if (v == ".") return v;
  static const std::regex alpha("[a-zA-Z]");
  static const std::regex domain(
      R"(^(:?(?:[a-zA-Z0-9]|(?:[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))(:?\.(?:[a-zA-Z0-9]|(?:[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])))*)\.?\s*$)");
  std::smatch m;
  if (std::regex_search(v, alpha) && std::regex_search(v, m, domain) && m[1].length() < 255)
    return m[1].str();
  return fail(ErrorKind::invalid_argument, v + " is not a valid domain");
}

bool is_mac_address(std::string_view s) {
  // 6, 8 or 20 octets as "xx:xx:..." or "xx-xx-...".
  if (s.size() < 14 || (s[2] != ':' && s[2] != '-') || (s.size() + 1) % 3 != 0) return false;
  const std::size_t octets = (s.size() + 1) / 3;
  if (octets != 6 && octets != 8 && octets != 20) return false;
  for (std::size_t i = 0; i < octets; ++i) {
    if (hex_value(s[3 * i]) < 0 || hex_value(s[3 * i + 1]) < 0) return false;
    if (i + 1 < octets && s[3 * i + 2] != s[2]) return false;
  }
  return true;
}

util::Result<std::string> parse_link(std::string_view s) {
  if (s.empty()) return fail(ErrorKind::invalid_argument, "empty string specified for links");
  const auto first = s.find(':');
  if (first != std::string_view::npos && s.find(':', first + 1) != std::string_view::npos)
    return fail(ErrorKind::invalid_argument, "bad format for links: " + std::string(s));
  return std::string(s);
}

util::Result<std::vector<std::string>> parse_expose(std::string_view s) {
  if (s.find(':') != std::string_view::npos)
    return fail(ErrorKind::invalid_argument, "invalid port format for --expose: " + std::string(s));
  // nat.SplitProtoPort: "80" -> tcp, "80/" -> tcp, "/udp" -> no port.
  std::string_view port = s, proto = "tcp";
  if (const auto slash = s.find('/'); slash != std::string_view::npos) {
    port = s.substr(0, slash);
    std::string_view p = s.substr(slash + 1);
    p = p.substr(0, p.find('/'));
    if (!p.empty()) proto = p;
    if (port.empty()) proto = "";
  }
  auto range = port_range(port);
  if (!range)
    return fail(ErrorKind::invalid_argument,
                "invalid range format for --expose: " + std::string(s) + ", error: " + range.error().message);
  std::vector<std::string> out;
  for (unsigned p = range->first; p <= range->second; ++p) out.push_back(std::to_string(p) + "/" + std::string(proto));
  return out;
}

}  // namespace sr::cli
