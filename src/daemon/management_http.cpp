// post_management (daemon/reload_client.hpp): one plain-HTTP POST to the
// engine's management listener on Boost.Beast.
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "daemon/reload_client.hpp"

namespace sr::daemon {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// Blocking reads and writes give up after `seconds` (the socket's own
// timeouts: the exchange is one request on a local listener).
void set_io_timeout(asio::ip::tcp::socket& socket, long seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

util::Result<HttpReply> post_management(const util::HostPort& at, const std::string& target, const std::string& key) {
  const std::string where = util::format_host_port(at.host, at.port);
  auto failed = [&](const std::string& step, const boost::system::error_code& ec) {
    return util::fail(util::ErrorKind::connect, "POST http://" + where + target + ": " + step + ": " + ec.message());
  };
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(at.host, ec);
  if (ec)
    return util::fail(util::ErrorKind::invalid_argument,
                      "management listener " + where + ": not an IP address");
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.open(address.is_v4() ? asio::ip::tcp::v4() : asio::ip::tcp::v6(), ec);
  if (ec) return failed("socket", ec);
  set_io_timeout(socket, 30);
  socket.connect({address, at.port}, ec);
  if (ec) return failed("connect", ec);

  http::request<http::empty_body> req{http::verb::post, target, 11};
  req.set(http::field::host, where);
  req.set(http::field::authorization, "Bearer " + key);
  req.set(http::field::connection, "close");
  req.content_length(0);
  http::write(socket, req, ec);
  if (ec) return failed("sending", ec);

  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  http::read(socket, buffer, parser, ec);
  if (ec) return failed("reading the answer", ec);
  HttpReply reply;
  reply.status = static_cast<long>(parser.get().result_int());
  reply.body = std::move(parser.get().body());
  return reply;
}

}  // namespace sr::daemon
