#include "proxy/admin/admin_http.hpp"

namespace sr::proxy {

namespace {

awaitable<void> serve_admin_connection(beast::tcp_stream stream, AdminHandler handler) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    error_code ec;
    co_await http::async_read(stream, buffer, parser, ec_token(ec));
    if (ec) co_return;
    AdminResponse res = handler(parser.get());
    res.prepare_payload();
    co_await http::async_write(stream, res, ec_token(ec));
    if (ec || !res.keep_alive()) co_return;
  }
}

}  // namespace

AdminResponse admin_response(const AdminRequest& req, http::status status,
                             std::string content_type, std::string body) {
  AdminResponse res{status, req.version()};
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  return res;
}

awaitable<void> admin_accept_loop(tcp::acceptor& acceptor, AdminHandler handler) {
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(ec_token(ec));
    if (ec) {
      if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
      continue;
    }
    beast::tcp_stream stream(std::move(socket));
    asio::co_spawn(acceptor.get_executor(), serve_admin_connection(std::move(stream), handler),
                   asio::detached);
  }
}

}  // namespace sr::proxy
