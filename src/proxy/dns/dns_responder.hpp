// The DNS responder a sandbox on the egress network resolves names with
// (proxy.yaml's dns.listen, iron-proxy's dns server role), over UDP and TCP:
//
//   - A for a name on the allowlist (an exact or a wildcard entry): the
//     engine's address (dns.proxy_ip), where the firewall's interception
//     brings the connection to the engine;
//   - AAAA, or any other type, for such a name: NOERROR with no answer
//     (the client uses the A record);
//   - any other name: NXDOMAIN.
//
// Nothing is ever resolved for real, so a query cannot carry data out of
// the sandbox to a name server, and the answer depends only on the
// allowlist of the moment (a reload applies to the next query).
#pragma once

#include <memory>
#include <string>

#include "proxy/dns/dns_message.hpp"
#include "proxy/engine.hpp"
#include "proxy/net.hpp"
#include "util/error.hpp"

#include <boost/asio/ip/udp.hpp>

namespace sr::proxy {

// The response to one received message; empty when none is due (not a
// query, or too short to carry an id). Pure: the allowlist decides.
std::vector<std::uint8_t> dns_answer(std::span<const std::uint8_t> message, const HostMatcher& allowlist,
                                     const asio::ip::address_v4& proxy_ip);

class DnsResponder {
 public:
  // Binds UDP and TCP on `listen` ("ip:port"; port 0 picks one, the same for
  // both). Answers with `proxy_ip` (an IPv4 literal).
  static util::Result<std::unique_ptr<DnsResponder>> bind(asio::io_context& ioc, Engine& engine,
                                                          const tcp::endpoint& listen,
                                                          const std::string& proxy_ip);
  void start();
  void close();
  [[nodiscard]] tcp::endpoint local_endpoint() const;

 private:
  DnsResponder(asio::io_context& ioc, Engine& engine, asio::ip::address_v4 proxy_ip);
  awaitable<void> serve_udp();
  awaitable<void> accept_tcp();
  awaitable<void> serve_tcp(tcp::socket socket);

  asio::io_context& ioc_;
  Engine& engine_;
  asio::ip::address_v4 proxy_ip_;
  asio::ip::udp::socket udp_;
  tcp::acceptor tcp_;
};

}  // namespace sr::proxy
