#include "proxyconf/proxy_config.hpp"

namespace sr::proxyconf {

const std::vector<std::string>& default_deny_cidrs() {
  // Everything that is not a public unicast destination. The first eleven
  // are the list older releases rendered (kept in order, so a stored list
  // compares equal). Then: "this network" (0.0.0.0/8; 0.0.0.0 itself reaches
  // this host on Linux) and the IPv6 unspecified address; the NAT64 prefixes
  // (RFC 6052 well-known, RFC 8215 local-use), whose addresses reach IPv4
  // space through a translator (the built-in engine also judges the IPv4
  // address inside them, cidr.hpp); the discard prefix (RFC 6666); the IPv6
  // documentation prefix; deprecated site-local (RFC 3879); multicast; and
  // 240.0.0.0/4, reserved, which holds the limited broadcast 255.255.255.255.
  static const std::vector<std::string> list = {
      "127.0.0.0/8",    "::1/128",        "169.254.0.0/16", "fe80::/10",     "10.0.0.0/8",
      "172.16.0.0/12",  "192.168.0.0/16", "fc00::/7",       "::ffff:0:0/96", "100.64.0.0/10",
      "198.18.0.0/15",  "0.0.0.0/8",      "::/128",         "64:ff9b::/96",  "64:ff9b:1::/48",
      "100::/64",       "2001:db8::/32",  "fec0::/10",      "224.0.0.0/4",   "ff00::/8",
      "240.0.0.0/4"};
  return list;
}

}  // namespace sr::proxyconf
