#include "proxy/original_dst.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include <cstring>

#include "util/host_port.hpp"

namespace sr::proxy {

std::string address_text(const tcp::endpoint& endpoint) {
  return util::format_host_port(endpoint.address().to_string(), endpoint.port());
}

std::string redirected_from(tcp::socket& socket) {
  error_code ec;
  auto local = socket.local_endpoint(ec);
  if (ec) return {};
  sockaddr_storage original{};
  socklen_t size = sizeof original;
  int fd = socket.native_handle();
  int rc = local.address().is_v6()
               ? ::getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &original, &size)
               : ::getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &original, &size);
  // ENOENT: no conntrack entry (conntrack not loaded, or nothing tracked the
  // flow): the connection was not translated.
  if (rc != 0) return {};
  tcp::endpoint dst;
  if (original.ss_family == AF_INET && size >= sizeof(sockaddr_in)) {
    std::memcpy(dst.data(), &original, sizeof(sockaddr_in));
  } else if (original.ss_family == AF_INET6 && size >= sizeof(sockaddr_in6)) {
    std::memcpy(dst.data(), &original, sizeof(sockaddr_in6));
  } else {
    return {};
  }
  return dst == local ? std::string() : address_text(dst);
}

}  // namespace sr::proxy
