// Plain-HTTP transport (unix socket or tcp without TLS) on Boost.Beast's
// HTTP parser. It keeps a launch light: no TLS library is initialized, and
// one short-lived connection per call makes it trivially thread-safe (a unix
// socket connect costs microseconds).
#include <limits>

#include <boost/asio/connect.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "docker/errors.hpp"
#include "docker/fd_stream.hpp"
#include "docker/plain_transport.hpp"
#include "util/host_port.hpp"

namespace sr::docker {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Socket = asio::generic::stream_protocol::socket;

util::Error io_error(const Endpoint& ep, std::string_view what, const boost::system::error_code& ec) {
  return util::Error{util::kind_from_errno(ec.value()),
                     std::string(what) + " (Docker daemon at " + ep.host_spec + "): " + ec.message(), ec.value()};
}

class PlainTransport final : public Transport {
 public:
  PlainTransport(Endpoint ep, std::string host, std::string port)
      : ep_(std::move(ep)), host_(std::move(host)), port_(std::move(port)) {
    // base_url already holds "host:port" ([v6]:port) for tcp.
    host_header_ = host_.empty() ? "localhost" : ep_.base_url.substr(ep_.base_url.find("://") + 3);
  }

  util::Result<Response> perform(const Request& req, const RequestHooks& hooks) override {
    asio::io_context ioc;
    SR_ASSIGN(Socket sock, connect(ioc));
    boost::system::error_code ec;
    http::write(sock, make_request(req, false, hooks.headers), ec);
    if (ec) return std::unexpected(io_error(ep_, "sending request", ec));

    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    // Not boost::none: Boost 1.74 compares the length against the optional
    // itself, and "len > none" is true.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::read_header(sock, buf, parser, ec);
    if (ec) return std::unexpected(io_error(ep_, "reading response head", ec));
    Response out;
    out.status = parser.get().result_int();
    for (const auto& field : parser.get())
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    if (hooks.cancel != nullptr && !hooks.cancel->arm(sock.native_handle()))
      return util::fail(util::ErrorKind::generic, "cancelled");
    if (hooks.on_headers) hooks.on_headers(out.status);
    bool stream_body = hooks.on_data && out.status >= 200 && out.status < 300;
    auto result = read_body(sock, buf, parser, stream_body ? hooks.on_data : nullptr, out);
    if (hooks.cancel != nullptr) {
      hooks.cancel->disarm();
      if (!result && hooks.cancel->cancelled()) return util::fail(util::ErrorKind::generic, "cancelled");
    }
    if (!result) return std::unexpected(result.error());
    return out;
  }

  util::Result<Hijacked> hijack(const Request& req) override {
    asio::io_context ioc;
    SR_ASSIGN(Socket sock, connect(ioc));
    boost::system::error_code ec;
    http::write(sock, make_request(req, true, {}), ec);
    if (ec) return std::unexpected(io_error(ep_, "sending attach request", ec));
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    http::read_header(sock, buf, parser, ec);
    if (ec) return std::unexpected(io_error(ep_, "reading attach response", ec));
    Hijacked out;
    out.status = parser.get().result_int();
    if (out.status != 101) {
      if (!parser.is_done()) http::read(sock, buf, parser, ec);
      out.body = parser.get().body();
      return out;
    }
    // Whatever the parser read past the head is the stream's first bytes.
    auto data = buf.data();
    std::string pending(static_cast<const char*>(data.data()), data.size());
    util::UniqueFd fd(sock.release(ec));
    if (ec) return std::unexpected(io_error(ep_, "taking over the attach socket", ec));
    out.stream = std::make_unique<detail::FdStream>(std::move(fd), std::move(pending));
    return out;
  }

  [[nodiscard]] std::string describe() const override { return ep_.host_spec; }

 private:
  util::Result<Socket> connect(asio::io_context& ioc) {
    Socket sock(ioc);
    boost::system::error_code ec;
    if (!ep_.unix_socket.empty()) {
      sock.connect(asio::local::stream_protocol::endpoint(ep_.unix_socket), ec);
      if (ec) return std::unexpected(connect_error(ep_.host_spec, ec.value(), ec.message()));
      return sock;
    }
    asio::ip::tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host_, port_, ec);
    if (ec) return std::unexpected(connect_error(ep_.host_spec, 0, ec.message()));
    for (const auto& entry : results) {
      sock.close(ec);
      sock.connect(asio::generic::stream_protocol::endpoint(entry.endpoint()), ec);
      if (!ec) {
        int one = 1;
        ::setsockopt(sock.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return sock;
      }
    }
    return std::unexpected(connect_error(ep_.host_spec, ec.value(), ec.message()));
  }

  http::request<http::string_body> make_request(const Request& req, bool upgrade,
                                                 const std::vector<std::pair<std::string, std::string>>& headers) const {
    http::request<http::string_body> r;
    r.method_string(req.method);
    r.target(req.target);
    r.version(11);
    r.set(http::field::host, host_header_);
    r.set(http::field::user_agent, "sandbox-run");
    if (upgrade) {
      r.set(http::field::connection, "Upgrade");
      r.set(http::field::upgrade, "tcp");
    } else {
      r.set(http::field::connection, "close");
    }
    if (!req.body.empty()) r.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) r.set(name, value);
    r.body() = req.body;
    if (req.method != "GET" && req.method != "HEAD") r.prepare_payload();
    return r;
  }

  util::Result<void> read_body(Socket& sock, beast::flat_buffer& buf, http::response_parser<http::buffer_body>& parser,
                               const std::function<bool(std::string_view)>& sink, Response& out) {
    char chunk[16 * 1024];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      boost::system::error_code ec;
      http::read(sock, buf, parser, ec);
      if (ec && ec != http::error::need_buffer) return std::unexpected(io_error(ep_, "reading response body", ec));
      std::string_view piece(chunk, sizeof chunk - parser.get().body().size);
      if (piece.empty()) continue;
      if (sink) {
        if (!sink(piece)) return util::fail(util::ErrorKind::generic, "aborted by the response reader");
      } else {
        out.body.append(piece);
      }
    }
    return {};
  }

  Endpoint ep_;
  std::string host_;
  std::string port_;
  std::string host_header_;
};

}  // namespace

util::Result<std::unique_ptr<Transport>> make_plain_transport(const Endpoint& endpoint) {
  if (endpoint.tls != TlsMode::off)
    return util::fail(util::ErrorKind::invalid_argument, "the plain transport does not speak TLS");
  std::string host, port;
  if (endpoint.unix_socket.empty()) {
    // base_url is "http://host:port" (docker/host.cpp always adds the port).
    SR_ASSIGN(util::HostPort hp, util::parse_host_port(std::string_view(endpoint.base_url).substr(7),
                                                       {.colons = util::BareColons::last_is_port}));
    host = std::move(hp.host);
    port = std::to_string(hp.port);
  }
  return std::unique_ptr<Transport>(std::make_unique<PlainTransport>(endpoint, std::move(host), std::move(port)));
}

}  // namespace sr::docker
