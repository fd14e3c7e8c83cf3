// A small, fast HTTPS upstream for the engine benchmark (bench/proxy/bench.py):
// Asio + Beast + OpenSSL, keep-alive, a fixed small JSON response, a fixed
// number of event-loop threads. Loopback only: it binds 127.0.0.1.
//
//   upstream --cert upstream.crt --key upstream.key [--bind 127.0.0.1] [--port 0] [--threads 1]
//            [--expect-auth "Bearer sk-..."]
//
// Prints "listening 127.0.0.1:<port>" on stdout once bound. With
// --expect-auth, a request whose Authorization differs gets 401 (so a client
// counting non-200 answers proves the engine swapped the token). On SIGTERM or
// SIGINT it prints one JSON line of counters and exits 0.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::atomic<unsigned long> g_requests{0}, g_rejected{0}, g_conns{0};

auto ec_token(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

struct Options {
  std::string cert, key, expect_auth;
  unsigned short port = 0;
  std::string bind = "127.0.0.1";  // a loopback address
  unsigned threads = 1;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "upstream: %s\nusage: upstream --cert FILE --key FILE [--port N] [--threads N] "
               "[--expect-auth VALUE]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--cert") o.cert = next();
    else if (a == "--key") o.key = next();
    else if (a == "--port") o.port = static_cast<unsigned short>(std::stoul(next()));
    else if (a == "--bind") o.bind = next();
    else if (a == "--threads") o.threads = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--expect-auth") o.expect_auth = next();
    else usage(("unknown argument " + a).c_str());
  }
  if (o.cert.empty() || o.key.empty()) usage("--cert and --key are required");
  if (o.threads == 0) o.threads = 1;
  return o;
}

asio::awaitable<void> serve(tcp::socket socket, ssl::context& tls, const Options& opt) {
  ++g_conns;
  socket.set_option(tcp::no_delay(true));
  ssl::stream<tcp::socket> stream(std::move(socket), tls);
  error_code ec;
  co_await stream.async_handshake(ssl::stream_base::server, ec_token(ec));
  if (ec) co_return;
  beast::flat_buffer buffer;
  http::response<http::string_body> ok{http::status::ok, 11};
  ok.set(http::field::content_type, "application/json");
  ok.body() = R"({"object":"list","data":[{"id":"bench-model"}]})";
  ok.prepare_payload();
  http::response<http::string_body> denied{http::status::unauthorized, 11};
  denied.body() = "wrong Authorization\n";
  denied.prepare_payload();
  for (;;) {
    http::request<http::string_body> req;
    co_await http::async_read(stream, buffer, req, ec_token(ec));
    if (ec) break;
    ++g_requests;
    bool good = opt.expect_auth.empty() ||
                std::string_view(req[http::field::authorization]) == opt.expect_auth;
    if (!good) ++g_rejected;
    auto& res = good ? ok : denied;
    res.keep_alive(req.keep_alive());
    co_await http::async_write(stream, res, ec_token(ec));
    if (ec || !req.keep_alive()) break;
  }
  error_code ignored;
  stream.next_layer().close(ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::vector<asio::io_context*> loops,
                                  ssl::context& tls, const Options& opt) {
  std::size_t next = 0;
  for (;;) {
    auto& ioc = *loops[next++ % loops.size()];
    error_code ec;
    auto socket = co_await acceptor.async_accept(ioc, ec_token(ec));
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    asio::co_spawn(ioc, serve(std::move(socket), tls, opt), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  ssl::context tls(ssl::context::tls_server);
  tls.use_certificate_chain_file(opt.cert);
  tls.use_private_key_file(opt.key, ssl::context::pem);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);

  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<asio::io_context*> raw;
  for (unsigned i = 0; i < opt.threads; ++i) {
    loops.push_back(std::make_unique<asio::io_context>(1));
    raw.push_back(loops.back().get());
  }
  auto bind = asio::ip::make_address(opt.bind);
  if (!bind.is_loopback()) usage("--bind must be a loopback address");
  tcp::acceptor acceptor(*loops[0], tcp::endpoint(bind, opt.port));
  std::printf("listening %s:%u\n", opt.bind.c_str(), acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::signal_set signals(*loops[0], SIGINT, SIGTERM);
  signals.async_wait([&](const error_code&, int) {
    for (auto& l : loops) l->stop();
  });
  asio::co_spawn(*loops[0], accept_loop(acceptor, raw, tls, opt), asio::detached);
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& l : loops) guards.emplace_back(l->get_executor());
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < opt.threads; ++i) threads.emplace_back([&, i] { loops[i]->run(); });
  loops[0]->run();
  for (auto& l : loops) l->stop();
  for (auto& t : threads) t.join();
  std::printf("{\"requests\": %lu, \"rejected\": %lu, \"connections\": %lu}\n", g_requests.load(),
              g_rejected.load(), g_conns.load());
  std::fflush(stdout);
  // Sessions still suspended in their coroutines are not unwound: exit now.
  std::_Exit(0);
}
