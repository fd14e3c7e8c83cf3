// Load generator for the engine benchmark (bench/proxy/bench.py): HTTPS over
// a CONNECT tunnel through `sandbox-egress serve`, or direct to the upstream.
// Boost.Asio coroutines + Beast + OpenSSL, a fixed number of event-loop
// threads (--threads), no thread per connection. Loopback only by intent: the
// driver passes 127.0.0.1 addresses.
//
//   loadgen --mode keepalive|tunnels|idle --host NAME:PORT --cafile CA.pem
//           (--proxy 127.0.0.1:P | --upstream 127.0.0.1:P)
//           [--conns 64] [--seconds 10] [--warmup 1] [--threads 1]
//           [--path /v1/models] [--header "Authorization: Bearer ..."]
//           [--request-first] [--hold 600]
//
// keepalive  --conns keep-alive connections (each: CONNECT + TLS once, then
//            requests back to back); after --warmup s, counts the requests that
//            complete in the next --seconds s: requests/s and latency
//            median/p90/p99 (one request = write + full response read).
// tunnels    --conns concurrent workers, each looping: TCP connect + CONNECT +
//            TLS handshake (full, no resumption) + one request + close; counts
//            completed tunnels in the window: tunnels/s and setup latency.
// idle       opens --conns tunnels (TLS completed; with --request-first, one
//            request each), prints one JSON line {"ready": N, ...}, then holds
//            them until stdin reaches EOF or --hold s pass.
//
// --host is the name used for CONNECT, SNI, certificate verification and the
// Host header. Output: one JSON object on stdout. A non-200 answer counts as
// an error ("bad_status"), as does any I/O or TLS failure.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string mode = "keepalive";
  std::string proxy, upstream, host, cafile, path = "/v1/models";
  std::vector<std::pair<std::string, std::string>> headers;
  unsigned conns = 64, threads = 1;
  double seconds = 10, warmup = 1, hold = 600;
  bool request_first = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "loadgen: %s\nusage: loadgen --mode keepalive|tunnels|idle --host NAME:PORT "
               "--cafile FILE (--proxy IP:PORT | --upstream IP:PORT) [--conns N] [--seconds S] "
               "[--warmup S] [--threads N] [--path P] [--header 'Name: value'] "
               "[--request-first] [--hold S]\n",
               why.c_str());
  std::exit(2);
}

tcp::endpoint parse_endpoint(const std::string& text, const char* what) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) usage(std::string(what) + " needs IP:PORT");
  error_code ec;
  auto addr = asio::ip::make_address(text.substr(0, colon), ec);
  if (ec) usage(std::string(what) + " needs an IP address: " + text);
  return {addr, static_cast<unsigned short>(std::stoul(text.substr(colon + 1)))};
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value after " + a);
      return argv[++i];
    };
    if (a == "--mode") o.mode = next();
    else if (a == "--proxy") o.proxy = next();
    else if (a == "--upstream") o.upstream = next();
    else if (a == "--host") o.host = next();
    else if (a == "--cafile") o.cafile = next();
    else if (a == "--path") o.path = next();
    else if (a == "--conns") o.conns = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--threads") o.threads = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--seconds") o.seconds = std::stod(next());
    else if (a == "--warmup") o.warmup = std::stod(next());
    else if (a == "--hold") o.hold = std::stod(next());
    else if (a == "--request-first") o.request_first = true;
    else if (a == "--header") {
      std::string h = next();
      auto colon = h.find(':');
      if (colon == std::string::npos) usage("--header needs 'Name: value'");
      std::string value = h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      o.headers.emplace_back(h.substr(0, colon), value);
    } else usage("unknown argument " + a);
  }
  if (o.mode != "keepalive" && o.mode != "tunnels" && o.mode != "idle") usage("unknown --mode");
  if (o.host.empty() || o.cafile.empty()) usage("--host and --cafile are required");
  if (o.proxy.empty() == o.upstream.empty()) usage("give exactly one of --proxy and --upstream");
  if (o.threads == 0) o.threads = 1;
  if (o.conns == 0) usage("--conns must be > 0");
  return o;
}

using TlsStream = ssl::stream<tcp::socket>;
auto ec_token(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

struct Shared {
  Options opt;
  tcp::endpoint dial;   // the proxy, or the upstream when direct
  bool via_proxy = false;
  std::string sni;      // host name without the port
  ssl::context tls{ssl::context::tls_client};
  std::atomic<std::int64_t> start_ns{0};  // measurement window start (0: not yet)
  std::atomic<std::int64_t> end_ns{0};
  std::atomic<bool> stop{false};
  std::atomic<unsigned> ready{0};
  std::atomic<unsigned> failed_setup{0};
  std::mutex mu;
  std::string first_error;

  void note_error(const std::string& what) {
    std::lock_guard lock(mu);
    if (first_error.empty()) first_error = what;
  }
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Worker {
  asio::io_context ioc{1};
  std::vector<std::uint32_t> lat_us;  // completed inside the window
  std::uint64_t done = 0, errors = 0, bad_status = 0;
  // Every exchange answered over the process's life (warm-up and the tail
  // after the window too): the divisor for CPU per request.
  std::uint64_t all_done = 0;
};

// Step failures carry a short description for first_error.
struct Failure {
  std::string what;
};

// TCP connect (+ CONNECT through the proxy) + TLS handshake.
asio::awaitable<std::unique_ptr<TlsStream>> open_tls(Shared& sh, asio::io_context& ioc) {
  tcp::socket sock(ioc);
  error_code ec;
  co_await sock.async_connect(sh.dial, ec_token(ec));
  if (ec) throw Failure{"connect: " + ec.message()};
  sock.set_option(tcp::no_delay(true));
  if (sh.via_proxy) {
    http::request<http::empty_body> req{http::verb::connect, sh.opt.host, 11};
    req.set(http::field::host, sh.opt.host);
    co_await http::async_write(sock, req, ec_token(ec));
    if (ec) throw Failure{"writing CONNECT: " + ec.message()};
    beast::flat_buffer buf;
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // a 2xx answer to CONNECT has no body
    co_await http::async_read_header(sock, buf, parser, ec_token(ec));
    if (ec) throw Failure{"reading the CONNECT answer: " + ec.message()};
    if (parser.get().result_int() != 200)
      throw Failure{"CONNECT answered " + std::to_string(parser.get().result_int())};
    if (buf.size() != 0) throw Failure{"bytes after the CONNECT answer"};
  }
  auto tls = std::make_unique<TlsStream>(std::move(sock), sh.tls);
  SSL_set_tlsext_host_name(tls->native_handle(), sh.sni.c_str());
  SSL_set1_host(tls->native_handle(), sh.sni.c_str());
  co_await tls->async_handshake(ssl::stream_base::client, ec_token(ec));
  if (ec) throw Failure{"TLS handshake: " + ec.message()};
  co_return tls;
}

http::request<http::empty_body> make_request(const Shared& sh) {
  http::request<http::empty_body> req{http::verb::get, sh.opt.path, 11};
  req.set(http::field::host, sh.sni);
  req.set(http::field::user_agent, "sandbox-run-loadgen");
  for (const auto& [name, value] : sh.opt.headers) req.set(name, value);
  return req;
}

// One request/response; returns the status.
asio::awaitable<unsigned> exchange(TlsStream& s, beast::flat_buffer& buf,
                                   http::request<http::empty_body>& req, bool& keep) {
  error_code ec;
  co_await http::async_write(s, req, ec_token(ec));
  if (ec) throw Failure{"writing the request: " + ec.message()};
  http::response<http::string_body> res;
  co_await http::async_read(s, buf, res, ec_token(ec));
  if (ec) throw Failure{"reading the response: " + ec.message()};
  keep = res.keep_alive();
  co_return res.result_int();
}

asio::awaitable<void> sleep_ms(asio::io_context& ioc, int ms) {
  asio::steady_timer t(ioc, std::chrono::milliseconds(ms));
  error_code ec;
  co_await t.async_wait(ec_token(ec));
}

bool in_window(const Shared& sh, std::int64_t t0, std::int64_t t1) {
  auto start = sh.start_ns.load();
  return start != 0 && t0 >= start && t1 <= sh.end_ns.load();
}

// What the exception being handled says (called from a catch block).
std::string failure_text() {
  try {
    throw;
  } catch (const Failure& f) {
    return f.what;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown failure";
  }
}

// One client, looping until the window ends:
//  keepalive  one connection (CONNECT + TLS once) carrying requests back to
//             back, reopened 10 ms after it fails or closes; the latency of
//             each request;
//  tunnels    a new tunnel (TCP + CONNECT + full TLS handshake) for each
//             request, closed after it; the latency from connect to response.
asio::awaitable<void> client_loop(Shared& sh, Worker& w, bool keepalive) {
  bool counted_ready = false;
  auto req = make_request(sh);
  auto ended = [&sh](std::int64_t t) { return sh.end_ns.load() != 0 && t >= sh.end_ns.load(); };
  while (!sh.stop.load()) {
    auto t0 = now_ns();
    if (!keepalive && ended(t0)) co_return;
    try {
      auto s = co_await open_tls(sh, w.ioc);
      if (keepalive && !counted_ready) {
        counted_ready = true;
        ++sh.ready;
      }
      beast::flat_buffer buf;
      for (bool keep = true; keep;) {
        if (keepalive) {
          t0 = now_ns();
          if (sh.stop.load() || ended(t0)) co_return;
        }
        unsigned status = co_await exchange(*s, buf, req, keep);
        auto t1 = now_ns();
        if (!keepalive) {
          error_code ignored;
          s->next_layer().close(ignored);  // no close_notify: as a client process exiting
          keep = false;
        }
        ++w.all_done;
        if (in_window(sh, t0, t1)) {
          if (status == 200) {
            ++w.done;
            w.lat_us.push_back(static_cast<std::uint32_t>((t1 - t0) / 1000));
          } else {
            ++w.bad_status;
            sh.note_error("status " + std::to_string(status));
          }
        }
      }
    } catch (...) {
      if (sh.stop.load()) co_return;
      ++w.errors;
      sh.note_error(failure_text());
    }
    if (keepalive) {
      if (!counted_ready) {
        counted_ready = true;
        ++sh.failed_setup;
      }
      co_await sleep_ms(w.ioc, 10);
    }
  }
}

// Opens `count` tunnels one after another and parks them in `held`.
asio::awaitable<void> idle_opener(Shared& sh, Worker& w, unsigned count,
                                  std::vector<std::unique_ptr<TlsStream>>& held) {
  auto req = make_request(sh);
  for (unsigned i = 0; i < count && !sh.stop.load(); ++i) {
    try {
      auto s = co_await open_tls(sh, w.ioc);
      if (sh.opt.request_first) {
        beast::flat_buffer buf;
        bool keep = true;
        unsigned status = co_await exchange(*s, buf, req, keep);
        if (status != 200) {
          ++w.bad_status;
          sh.note_error("status " + std::to_string(status));
        }
      }
      held.push_back(std::move(s));
      ++sh.ready;
    } catch (...) {
      ++w.errors;
      ++sh.failed_setup;
      sh.note_error(failure_text());
    }
  }
}

double percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto idx = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(idx, sorted.size() - 1)] / 1000.0;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto sh = std::make_unique<Shared>();
  sh->opt = parse(argc, argv);
  const Options& opt = sh->opt;
  raise_fd_limit();
  sh->via_proxy = !opt.proxy.empty();
  sh->dial = parse_endpoint(sh->via_proxy ? opt.proxy : opt.upstream,
                            sh->via_proxy ? "--proxy" : "--upstream");
  sh->sni = opt.host.substr(0, opt.host.rfind(':'));
  sh->tls.load_verify_file(opt.cafile);
  sh->tls.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(sh->tls.native_handle(), TLS1_2_VERSION);
  // Every tunnel is a full handshake, as for a fresh sandbox process.
  SSL_CTX_set_session_cache_mode(sh->tls.native_handle(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(sh->tls.native_handle(), SSL_OP_NO_TICKET);

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < opt.threads; ++i) workers.push_back(std::make_unique<Worker>());
  std::vector<std::vector<std::unique_ptr<TlsStream>>> held(opt.threads);

  if (opt.mode == "keepalive" || opt.mode == "tunnels") {
    for (unsigned i = 0; i < opt.conns; ++i) {
      auto& w = *workers[i % opt.threads];
      asio::co_spawn(w.ioc, client_loop(*sh, w, opt.mode == "keepalive"), asio::detached);
    }
  } else {
    // A few openers per thread, so the handshakes overlap a little.
    unsigned openers = std::min(opt.conns, 16u * opt.threads);
    for (unsigned i = 0; i < openers; ++i) {
      unsigned count = opt.conns / openers + (i < opt.conns % openers ? 1 : 0);
      auto& w = *workers[i % opt.threads];
      asio::co_spawn(w.ioc, idle_opener(*sh, w, count, held[i % opt.threads]), asio::detached);
    }
  }
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&w] {
      auto guard = asio::make_work_guard(w->ioc);
      w->ioc.run();
    });

  auto t_begin = Clock::now();
  double measured = 0;
  if (opt.mode == "keepalive") {
    // Wait until every connection is up (or has failed once), then warm up.
    while (sh->ready.load() + sh->failed_setup.load() < opt.conns &&
           Clock::now() - t_begin < std::chrono::seconds(60))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (opt.mode != "idle") {
    auto start = now_ns() + static_cast<std::int64_t>(opt.warmup * 1e9);
    sh->end_ns.store(start + static_cast<std::int64_t>(opt.seconds * 1e9));
    sh->start_ns.store(start);
    std::this_thread::sleep_for(
        std::chrono::nanoseconds(sh->end_ns.load() - now_ns()) + std::chrono::milliseconds(200));
    measured = opt.seconds;
    sh->stop.store(true);
    for (auto& w : workers) w->ioc.stop();
    for (auto& t : threads) t.join();
  } else {
    while (sh->ready.load() + sh->failed_setup.load() < opt.conns &&
           Clock::now() - t_begin < std::chrono::seconds(300))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    double took = std::chrono::duration<double>(Clock::now() - t_begin).count();
    std::uint64_t bad = 0;
    for (auto& w : workers) bad += w->bad_status;  // racy read is fine: openers are done
    std::printf(
        "{\"mode\": \"idle\", \"ready\": %u, \"errors\": %u, \"bad_status\": %llu, "
        "\"request_first\": %s, \"open_seconds\": %.2f, \"first_error\": \"%s\"}\n",
        sh->ready.load(), sh->failed_setup.load(), static_cast<unsigned long long>(bad),
        opt.request_first ? "true" : "false", took, json_escape(sh->first_error).c_str());
    std::fflush(stdout);
    // Hold until stdin closes or --hold passes.
    auto hold_until = Clock::now() + std::chrono::duration<double>(opt.hold);
    while (Clock::now() < hold_until) {
      pollfd p{0, POLLIN, 0};
      if (poll(&p, 1, 200) > 0) {
        char c[64];
        if (read(0, c, sizeof c) <= 0) break;
      }
    }
    std::_Exit(0);  // the kernel closes every held socket
  }

  std::vector<std::uint32_t> lat;
  std::uint64_t done = 0, errors = 0, bad = 0, all_done = 0;
  for (auto& w : workers) {
    lat.insert(lat.end(), w->lat_us.begin(), w->lat_us.end());
    done += w->done;
    all_done += w->all_done;
    errors += w->errors;
    bad += w->bad_status;
  }
  std::sort(lat.begin(), lat.end());
  double mean = 0;
  for (auto v : lat) mean += v;
  mean = lat.empty() ? 0 : mean / static_cast<double>(lat.size()) / 1000.0;
  std::printf(
      "{\"mode\": \"%s\", \"via\": \"%s\", \"conns\": %u, \"threads\": %u, \"seconds\": %.2f, "
      "\"completed\": %llu, \"per_second\": %.1f, \"errors\": %llu, \"bad_status\": %llu, "
      "\"latency_ms\": {\"median\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"mean\": %.3f}, "
      "\"all_completed\": %llu, \"first_error\": \"%s\"}\n",
      opt.mode.c_str(), sh->via_proxy ? "proxy" : "direct", opt.conns, opt.threads, measured,
      static_cast<unsigned long long>(done), static_cast<double>(done) / measured,
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(bad),
      percentile(lat, 0.5), percentile(lat, 0.9), percentile(lat, 0.99), mean,
      static_cast<unsigned long long>(all_done), json_escape(sh->first_error).c_str());
  std::fflush(stdout);
  // Coroutines still suspended on stopped loops are not unwound: exit now.
  std::_Exit(0);
}
