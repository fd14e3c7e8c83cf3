#include "proxy/dns/dns_responder.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace sr::proxy {

namespace {

// RFC 1035 §4.2.1 allows 512 bytes over UDP without EDNS; a query is
// far smaller, a larger datagram is not a query this responder answers.
constexpr std::size_t kMaxMessage = 512;
constexpr std::chrono::seconds kTcpIdle{10};

}  // namespace

std::vector<std::uint8_t> dns_answer(std::span<const std::uint8_t> message, const HostMatcher& allowlist,
                                     const asio::ip::address_v4& proxy_ip) {
  auto parsed = dns::parse_query(message);
  if (!parsed.query) {
    if (!parsed.rejection.answerable) return {};
    return dns::build_rejection(parsed.rejection);
  }
  const auto& q = *parsed.query;
  // The root and names that are no host name never match an entry (a
  // wildcard "*.x" must not match a name whose label holds a '.').
  bool allowed = q.name_ok && !q.name.empty() && allowlist.matches_normalized(q.name);
  if (!allowed || q.qclass != dns::kClassIn) return dns::build_response(q, dns::Rcode::nxdomain, std::nullopt);
  if (q.qtype != dns::kTypeA) return dns::build_response(q, dns::Rcode::noerror, std::nullopt);
  return dns::build_response(q, dns::Rcode::noerror, proxy_ip.to_bytes());
}

DnsResponder::DnsResponder(asio::io_context& ioc, Engine& engine, asio::ip::address_v4 proxy_ip)
    : ioc_(ioc), engine_(engine), proxy_ip_(proxy_ip), udp_(ioc), tcp_(ioc) {}

util::Result<std::unique_ptr<DnsResponder>> DnsResponder::bind(asio::io_context& ioc, Engine& engine,
                                                               const tcp::endpoint& listen,
                                                               const std::string& proxy_ip) {
  error_code ec;
  auto ip = asio::ip::make_address_v4(proxy_ip, ec);
  if (ec)
    return util::fail(util::ErrorKind::invalid_argument,
                      "dns.proxy_ip '" + proxy_ip + "' is not an IPv4 address");
  std::unique_ptr<DnsResponder> r(new DnsResponder(ioc, engine, ip));
  auto step = [&](const char* what) {
    return util::fail(util::kind_from_errno(ec.value()), std::string(what) + " the DNS responder on " +
                                                             listen.address().to_string() + ":" +
                                                             std::to_string(listen.port()) + ": " +
                                                             ec.message());
  };
  // Port 0 lets UDP pick a free port, and TCP then needs that same number,
  // which another socket may already hold (busy loopback, many tests): then
  // both are closed and the pick is made again. A fixed port is tried once.
  const int attempts = listen.port() == 0 ? 32 : 1;
  for (int attempt = 1;; ++attempt) {
    asio::ip::udp::endpoint udp_at(listen.address(), listen.port());
    r->udp_.open(udp_at.protocol(), ec);
    if (!ec) r->udp_.bind(udp_at, ec);
    if (ec) return step("binding (UDP)");
    tcp::endpoint tcp_at(listen.address(), r->udp_.local_endpoint(ec).port());
    r->tcp_.open(tcp_at.protocol(), ec);
    if (!ec) r->tcp_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) r->tcp_.bind(tcp_at, ec);
    if (!ec) r->tcp_.listen(64, ec);
    if (!ec) break;
    if (ec != asio::error::address_in_use || attempt == attempts) return step("binding (TCP)");
    error_code ignored;
    r->udp_.close(ignored);
    r->tcp_.close(ignored);
  }
  return r;
}

tcp::endpoint DnsResponder::local_endpoint() const {
  error_code ec;
  return tcp_.local_endpoint(ec);
}

void DnsResponder::start() {
  asio::co_spawn(ioc_, serve_udp(), asio::detached);
  asio::co_spawn(ioc_, accept_tcp(), asio::detached);
}

void DnsResponder::close() {
  error_code ec;
  udp_.close(ec);
  tcp_.close(ec);
}

awaitable<void> DnsResponder::serve_udp() {
  std::array<std::uint8_t, kMaxMessage> in{};
  asio::ip::udp::endpoint from;
  for (;;) {
    error_code ec;
    std::size_t n = co_await udp_.async_receive_from(asio::buffer(in), from, ec_token(ec));
    if (ec == asio::error::operation_aborted || !udp_.is_open()) co_return;
    if (ec) continue;  // e.g. an ICMP error of an earlier answer
    auto rules = engine_.rules();
    auto out = dns_answer(std::span(in.data(), n), rules->allowlist, proxy_ip_);
    if (!out.empty()) co_await udp_.async_send_to(asio::buffer(out), from, ec_token(ec));
  }
}

awaitable<void> DnsResponder::accept_tcp() {
  for (;;) {
    error_code ec;
    auto socket = co_await tcp_.async_accept(ec_token(ec));
    if (ec == asio::error::operation_aborted || !tcp_.is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(ioc_, serve_tcp(std::move(socket)), asio::detached);
  }
}

// RFC 1035 §4.2.2: each message is preceded by its two-byte length.
awaitable<void> DnsResponder::serve_tcp(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  for (;;) {
    std::array<std::uint8_t, 2> size{};
    error_code ec;
    stream.expires_after(kTcpIdle);
    co_await asio::async_read(stream, asio::buffer(size), ec_token(ec));
    if (ec) co_return;
    std::size_t n = static_cast<std::size_t>(size[0] << 8 | size[1]);
    if (n > kMaxMessage) co_return;
    std::vector<std::uint8_t> in(n);
    co_await asio::async_read(stream, asio::buffer(in), ec_token(ec));
    if (ec) co_return;
    auto rules = engine_.rules();
    auto out = dns_answer(in, rules->allowlist, proxy_ip_);
    if (out.empty()) co_return;
    std::array<std::uint8_t, 2> out_size{static_cast<std::uint8_t>(out.size() >> 8),
                                         static_cast<std::uint8_t>(out.size() & 0xff)};
    std::array<asio::const_buffer, 2> bufs{asio::buffer(out_size), asio::buffer(out)};
    co_await asio::async_write(stream, bufs, ec_token(ec));
    if (ec) co_return;
  }
}

}  // namespace sr::proxy
