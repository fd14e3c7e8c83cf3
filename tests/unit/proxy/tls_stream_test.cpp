// TlsStream on real loopback sockets with real OpenSSL handshakes: a full-
// duplex echo large enough to fill the socket buffers (the want-write path),
// a handshake fed with bytes read beforehand, deadlines, the two ways a peer
// can end a stream, and completion never inside the initiating call.
#include <catch2/catch.hpp>

#include "proxy/net.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <exception>
#include <string>
#include <vector>

#include "proxy/tls/cert_cache.hpp"
#include "test_ca.hpp"

using namespace sr::proxy;

namespace {

struct Pki {
  sr_test::TempDir dir;
  CertCache cache;
  std::unique_ptr<ssl::context> server;  // a leaf for "localhost"
  std::unique_ptr<ssl::context> client;  // trusts the test CA only

  Pki()
      : cache(sr_test::write_ca(dir.path, EVP_EC_gen("P-256"), sr_test::KeyForm::pkcs8),
              CertCacheOptions{}) {
    auto leaf = cache.get("localhost");
    REQUIRE(leaf);
    SSL_CTX_up_ref(leaf->get());
    server = std::make_unique<ssl::context>(leaf->get());
    client = std::make_unique<ssl::context>(ssl::context::tls_client);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(client->native_handle()),
                        cache.authority().cert.get());
    client->set_verify_mode(ssl::verify_peer);
  }
};

struct Sockets {
  tcp::socket client;
  tcp::socket server;
};

Sockets connected(asio::io_context& ioc) {
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(ioc);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  return {std::move(client), std::move(server)};
}

TlsStream client_stream(tcp::socket s, ssl::context& ctx) {
  TlsStream tls(beast::tcp_stream(std::move(s)), ctx);
  SSL_set_tlsext_host_name(tls.native_handle(), "localhost");
  SSL_set1_host(tls.native_handle(), "localhost");
  return tls;
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

awaitable<error_code> handshake(TlsStream& stream, TlsStream::handshake_type type) {
  error_code ec;
  co_await stream.async_handshake(type, ec_token(ec));
  co_return ec;
}

// A loopback pair: `server` serves the "localhost" leaf of `server_pki`,
// `client` trusts only `client_pki`'s CA.
struct Link {
  Link(Pki& server_pki, Pki& client_pki)
      : sockets(connected(ioc)),
        server(beast::tcp_stream(std::move(sockets.server)), *server_pki.server),
        client(client_stream(std::move(sockets.client), *client_pki.client)) {}
  explicit Link(Pki& pki) : Link(pki, pki) {}

  // Runs both sides on the loop until both are done.
  template <class ServerSide, class ClientSide>
  void run(ServerSide server_side, ClientSide client_side) {
    asio::co_spawn(ioc, std::move(server_side), rethrow);
    asio::co_spawn(ioc, std::move(client_side), rethrow);
    ioc.run();
  }

  asio::io_context ioc;
  Sockets sockets;
  TlsStream server;
  TlsStream client;
};

}  // namespace

TEST_CASE("tls_stream: 4 MiB full-duplex echo, then close_notify both ways", "[proxy][tls]") {
  Pki pki;
  Link link(pki);
  auto& server = link.server;
  auto& client = link.client;
  const std::string sent = pattern(4 * 1024 * 1024);
  std::string echoed;
  error_code server_end, client_end;

  link.run(
      [&]() -> awaitable<void> {
        error_code hs = co_await handshake(server, ssl::stream_base::server);
        REQUIRE_FALSE(hs);
        std::vector<char> buf(7000);  // odd-sized reads and writes
        error_code ec;
        for (;;) {
          std::size_t n = co_await server.async_read_some(asio::buffer(buf), ec_token(ec));
          if (ec) break;
          co_await asio::async_write(server, asio::buffer(buf.data(), n), ec_token(ec));
          REQUIRE_FALSE(ec);
        }
        server_end = ec;
        co_await server.async_shutdown(ec_token(ec));
      },
      [&]() -> awaitable<void> {
        error_code hs = co_await handshake(client, ssl::stream_base::client);
        REQUIRE_FALSE(hs);
        // The writer runs beside the reader: neither side drains its socket
        // fully before the other writes, so both hit want-write.
        asio::co_spawn(
            co_await asio::this_coro::executor,
            [&]() -> awaitable<void> {
              error_code wec;
              co_await asio::async_write(client, asio::buffer(sent), ec_token(wec));
              REQUIRE_FALSE(wec);
              co_await client.async_shutdown(ec_token(wec));
              REQUIRE_FALSE(wec);
            },
            rethrow);
        echoed.resize(sent.size());
        error_code ec;
        co_await asio::async_read(client, asio::buffer(echoed), ec_token(ec));
        REQUIRE_FALSE(ec);
        char extra;
        co_await client.async_read_some(asio::buffer(&extra, 1), ec_token(ec));
        client_end = ec;
      });
  CHECK(echoed == sent);
  CHECK(server_end == asio::error::eof);  // the client's close_notify
  CHECK(client_end == asio::error::eof);  // the server's
}

TEST_CASE("tls_stream: the handshake takes bytes read before it (a peeked ClientHello)",
          "[proxy][tls]") {
  Pki pki;
  asio::io_context ioc;
  auto [c, s] = connected(ioc);
  TlsStream client = client_stream(std::move(c), *pki.client);
  std::string got;

  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        beast::tcp_stream plain(std::move(s));
        std::array<char, 64> first;  // less than a ClientHello: the rest comes from the socket
        error_code ec;
        std::size_t n = co_await plain.async_read_some(asio::buffer(first), ec_token(ec));
        REQUIRE_FALSE(ec);
        REQUIRE(first[0] == 0x16);
        TlsStream server(std::move(plain), *pki.server);
        co_await server.async_handshake(ssl::stream_base::server, asio::buffer(first.data(), n),
                                        ec_token(ec));
        REQUIRE_FALSE(ec);
        co_await asio::async_write(server, asio::buffer(std::string_view("hello")),
                                   ec_token(ec));
        REQUIRE_FALSE(ec);
      },
      rethrow);
  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        error_code ec;
        co_await client.async_handshake(ssl::stream_base::client, ec_token(ec));
        REQUIRE_FALSE(ec);
        got.resize(5);
        co_await asio::async_read(client, asio::buffer(got), ec_token(ec));
        REQUIRE_FALSE(ec);
      },
      rethrow);
  ioc.run();
  CHECK(got == "hello");
}

TEST_CASE("tls_stream: an operation still waiting at the deadline fails with timeout",
          "[proxy][tls]") {
  Pki pki;
  asio::io_context ioc;
  auto [c, s] = connected(ioc);  // the client never speaks
  TlsStream server(beast::tcp_stream(std::move(s)), *pki.server);
  error_code handshake_ec;
  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        server.expires_after(std::chrono::milliseconds(50));
        co_await server.async_handshake(ssl::stream_base::server, ec_token(handshake_ec));
      },
      rethrow);
  ioc.run();
  CHECK(handshake_ec == beast::error::timeout);
}

TEST_CASE("tls_stream: expires_never lifts a deadline set before", "[proxy][tls]") {
  Pki pki;
  Link link(pki);
  error_code server_ec = asio::error::would_block;
  asio::steady_timer late(link.ioc);
  link.run(
      [&]() -> awaitable<void> {
        link.server.expires_after(std::chrono::milliseconds(20));
        link.server.expires_never();
        server_ec = co_await handshake(link.server, ssl::stream_base::server);
      },
      [&]() -> awaitable<void> {
        // The client starts well after the lifted deadline.
        late.expires_after(std::chrono::milliseconds(100));
        error_code ec;
        co_await late.async_wait(ec_token(ec));
        error_code hs = co_await handshake(link.client, ssl::stream_base::client);
        REQUIRE_FALSE(hs);
      });
  CHECK_FALSE(server_ec);
}

TEST_CASE("tls_stream: a peer gone without close_notify reads as stream_truncated",
          "[proxy][tls]") {
  Pki pki;
  Link link(pki);
  error_code read_ec;
  link.run(
      [&]() -> awaitable<void> {
        error_code hs = co_await handshake(link.server, ssl::stream_base::server);
        REQUIRE_FALSE(hs);
        char byte;
        co_await link.server.async_read_some(asio::buffer(&byte, 1), ec_token(read_ec));
      },
      [&]() -> awaitable<void> {
        error_code hs = co_await handshake(link.client, ssl::stream_base::client);
        REQUIRE_FALSE(hs);
        error_code ec;
        link.client.socket().close(ec);
      });
  CHECK(read_ec == ssl::error::stream_truncated);
}

TEST_CASE("tls_stream: a handshake with an untrusted server fails with the OpenSSL reason",
          "[proxy][tls]") {
  Pki pki;
  Pki other;  // another CA: the client does not trust its leaf
  Link link(other, pki);
  error_code client_ec;
  link.run(
      [&]() -> awaitable<void> { co_await handshake(link.server, ssl::stream_base::server); },
      [&]() -> awaitable<void> {
        client_ec = co_await handshake(link.client, ssl::stream_base::client);
      });
  REQUIRE(client_ec);
  CHECK(client_ec.category() == asio::error::get_ssl_category());
  CHECK(ERR_GET_REASON(static_cast<unsigned long>(client_ec.value())) ==
        SSL_R_CERTIFICATE_VERIFY_FAILED);
}

TEST_CASE("tls_stream: a handler is never run inside the initiating call", "[proxy][tls]") {
  Pki pki;
  asio::io_context ioc;
  auto [c, s] = connected(ioc);
  TlsStream server(beast::tcp_stream(std::move(s)), *pki.server);
  bool initiated = false;
  bool ran = false;
  // An empty read is complete at once, without touching the socket.
  server.async_read_some(asio::mutable_buffer(), [&](error_code ec, std::size_t n) {
    CHECK(initiated);
    CHECK_FALSE(ec);
    CHECK(n == 0);
    ran = true;
  });
  initiated = true;
  ioc.run();
  CHECK(ran);
}
