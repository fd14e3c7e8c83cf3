#include "egress/bind_address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <memory>

namespace sr::egress {

util::Result<std::vector<InterfaceAddress>> list_interface_addresses() {
  ifaddrs* raw = nullptr;
  if (getifaddrs(&raw) != 0) return util::fail_errno("getifaddrs");
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> list(raw, &freeifaddrs);
  std::vector<InterfaceAddress> out;
  for (ifaddrs* i = raw; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN] = {};
    auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if (!inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf)) continue;
    out.push_back({i->ifa_name ? i->ifa_name : "", buf});
  }
  return out;
}

util::Result<void> validate_bind_address(const std::string& ip) {
  in_addr a{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1)
    return util::fail(util::ErrorKind::invalid_argument, "'" + ip + "' is not an IPv4 address");
  uint32_t v = ntohl(a.s_addr);
  auto in = [v](uint32_t net, int prefix) {
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (v & mask) == (net & mask);
  };
  auto bad = [&](const char* why) {
    return util::fail(util::ErrorKind::security, "refusing to bind " + ip + ": " + why);
  };
  if (v == 0) return bad("unspecified address");
  if (in(0x7f000000, 8)) return bad("loopback is not reachable from containers");
  if (in(0xa9fe0000, 16)) return bad("link-local address");
  if (in(0xe0000000, 4)) return bad("multicast address");
  if (in(0xf0000000, 4)) return bad("reserved address");
  if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16)) return {};
  return bad("not a private (RFC 1918) address: it could be reachable from other networks");
}

namespace {

std::optional<std::string> interface_ip(const std::vector<InterfaceAddress>& ifs,
                                        const std::string& name) {
  auto it = std::find_if(ifs.begin(), ifs.end(), [&](const auto& i) { return i.name == name; });
  if (it == ifs.end()) return std::nullopt;
  return it->ipv4;
}

bool has_ip(const std::vector<InterfaceAddress>& ifs, const std::string& ip) {
  return std::any_of(ifs.begin(), ifs.end(), [&](const auto& i) { return i.ipv4 == ip; });
}

}  // namespace

BindChoice choose_bind_address(const std::optional<std::string>& gateway,
                               const std::string& network_name,
                               const std::vector<InterfaceAddress>& interfaces) {
  BindChoice c;
  if (gateway) {
    auto ok = validate_bind_address(*gateway);
    if (ok && has_ip(interfaces, *gateway)) {
      c.address = *gateway;
      c.source = "internal network " + network_name;
      return c;
    }
    c.warnings.push_back("the gateway of network " + network_name + " (" + *gateway + ") " +
                         (ok ? std::string("is not on a local interface")
                             : ok.error().message) +
                         "; falling back to the Docker bridge");
  }
  if (auto ip = interface_ip(interfaces, kBridgeInterface)) {
    auto ok = validate_bind_address(*ip);
    if (ok) {
      c.address = *ip;
      c.source = kBridgeInterface;
      return c;
    }
    c.warnings.push_back(std::string(kBridgeInterface) + ": " + ok.error().message);
  }
  c.address = kLoopback;
  c.source = "loopback";
  c.warnings.push_back(
      "no Docker bridge address found: the proxy will listen on 127.0.0.1, which "
      "containers cannot reach; start Docker and re-run 'sandbox-egress setup'");
  return c;
}

}  // namespace sr::egress
