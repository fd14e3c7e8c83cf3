// serve: the command (cli/cmd_serve); server: the event loops; engine: their shared state; session: a connection.
#include "proxy/server.hpp"

#include <boost/asio/signal_set.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "proxy/admin/admin_http.hpp"
#include "proxy/admin/canary.hpp"
#include "proxy/error_categories.hpp"
#include "proxy/original_dst.hpp"
#include "proxy/session.hpp"
#include "proxy/transparent.hpp"
#include "util/host_port.hpp"

namespace sr::proxy {

namespace {

constexpr std::chrono::seconds kDrainLimit{10};

// The event loop run by this thread (null elsewhere): audit batches are
// flushed on the loop that wrote their first line.
thread_local asio::io_context* t_current_loop = nullptr;

void run_loop(asio::io_context& ioc) {
  t_current_loop = &ioc;
  ioc.run();
  t_current_loop = nullptr;
}

void log_line(const std::string& text) {
  std::fprintf(stderr, "sandbox-egress serve: %s\n", text.c_str());
  std::fflush(stderr);
}

// "127.0.0.1:9090", "[::1]:9090", ":9090" (all interfaces, as in Go).
util::Result<tcp::endpoint> parse_listen(const std::string& address) {
  auto bad = [&](const std::string& why) {
    return util::fail(util::ErrorKind::invalid_argument,
                      "invalid listen address '" + address + "': " + why);
  };
  // Port 0 asks for an ephemeral port; an unbracketed "::1:9090" reads as
  // host ::1, port 9090 (the last colon starts the port).
  auto parts = util::parse_host_port(
      address, {.colons = util::BareColons::last_is_port, .port_zero = util::PortZero::allowed});
  if (!parts) return bad(parts.error().message);
  std::string host = parts->host;
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return bad("host must be an IP address");
  return tcp::endpoint(addr, parts->port);
}

// proxy.yaml, and the narrowings file when one is given: a narrowings file
// that cannot be read fails the load like a bad proxy.yaml (start refused,
// reload refused), so a narrowed sandbox never falls back to the allowlist.
util::Result<std::shared_ptr<const Rules>> load_rules(const ServeOptions& opts) {
  std::vector<std::string> ignored;
  SR_ASSIGN(auto config, proxyconf::load(opts.config_path, &ignored));
  for (const auto& line : ignored) log_line("config: " + line);
  std::vector<proxyconf::SandboxNarrowing> narrowings;
  if (opts.narrowings_path) {
    SR_ASSIGN(narrowings, proxyconf::load_narrowings(*opts.narrowings_path));
  }
  SR_ASSIGN(auto rules, util::with_context(build_rules(std::move(config), environment_lookup(), narrowings),
                                           opts.config_path.string()));
  if (opts.narrowings_path)
    log_line(std::to_string(rules->narrowings.size()) + " narrowed sandbox(es) from " + opts.narrowings_path->string());
  return rules;
}

// The open-file soft limit raised to the hard limit (every client
// connection costs a descriptor, and its upstream another): returns the
// limit now in force, and logs what was done.
rlim_t raise_open_file_limit() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    log_line(std::string("open-file limit: getrlimit failed: ") + std::strerror(errno));
    return 1024;
  }
  if (lim.rlim_cur == lim.rlim_max) {
    log_line("open-file limit " + std::to_string(lim.rlim_cur) + " (the hard limit)");
    return lim.rlim_cur;
  }
  rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    log_line("open-file limit " + std::to_string(before) + ": raising it to the hard limit " +
             std::to_string(lim.rlim_max) + " failed: " + std::strerror(errno));
    return before;
  }
  log_line("open-file limit raised from " + std::to_string(before) + " to the hard limit " +
           std::to_string(lim.rlim_max));
  return lim.rlim_max;
}

// Without --max-connections: half the descriptors left after a reserve for
// listeners, logs and pooled upstream connections (a client connection and
// its upstream take two), at most 4096 and at least 16.
std::size_t default_max_connections(rlim_t open_files) {
  constexpr rlim_t kReserve = 128;
  rlim_t usable = open_files > kReserve ? (open_files - kReserve) / 2 : 0;
  return static_cast<std::size_t>(std::clamp<rlim_t>(usable, 16, 4096));
}

std::string limit_name(ConnLimit limit) {
  return limit == ConnLimit::per_client ? "per client address" : "in total";
}

}  // namespace

struct Server::Loop {
  Loop(Engine& engine, UpstreamSettings settings)
      : pool(ioc, engine.upstream_tls(), engine.overrides(), settings, &engine.metrics()),
        ctx{engine, ioc, pool} {}
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  UpstreamPool pool;
  LoopContext ctx;
};

Server::Server(ServeOptions options) : options_(std::move(options)) {}

Server::~Server() {
  listeners_.clear();
  loops_.clear();
}

util::Result<std::unique_ptr<Server>> Server::create(ServeOptions options) {
  rlim_t open_files = raise_open_file_limit();
  std::unique_ptr<Server> server(new Server(std::move(options)));
  const auto& opts = server->options_;
  ConnLimitSettings caps{opts.max_client_connections,
                         opts.max_connections ? opts.max_connections
                                              : default_max_connections(open_files)};
  log_line("client connections capped at " + std::to_string(caps.per_client) +
           " per client address and " + std::to_string(caps.total) + " in total");
  server->limits_ = std::make_unique<ConnLimits>(caps);
  set_client_timeouts(opts.timeouts);
  SR_ASSIGN(auto rules, load_rules(opts));
  const auto& cfg = rules->config;
  SR_ASSIGN(auto ca, util::with_context(CertAuthority::load(cfg.ca_cert, cfg.ca_key),
                                        "loading the CA (tls.ca_cert, tls.ca_key)"));
  auto certs = std::make_unique<CertCache>(
      std::move(ca), CertCacheOptions{std::max<std::size_t>(1, cfg.cert_cache_size),
                                      std::chrono::hours(std::max(1u, cfg.leaf_cert_expiry_hours))});
  SR_ASSIGN(auto base, util::with_context(make_server_ctx(), "creating the MITM TLS context"));
  std::unique_ptr<AuditLog> audit;
  if (opts.audit_log) {
    SR_ASSIGN(audit, util::with_context(AuditLog::open_file(*opts.audit_log), "opening the audit log"));
  } else {
    SR_ASSIGN(audit, AuditLog::to_stderr());
  }
  if (!cfg.management_listen.empty()) {
    const char* key = cfg.management_api_key_env.empty()
                          ? nullptr
                          : std::getenv(cfg.management_api_key_env.c_str());
    if (!key || !*key)
      return util::fail(util::ErrorKind::invalid_argument,
                        "management.listen is set but the env var named by management.api_key_env ('" +
                            cfg.management_api_key_env + "') is empty or unset");
    server->management_key_ = key;
  }
  server->engine_ = std::make_unique<Engine>(rules, std::move(certs), std::move(audit),
                                             std::move(base), opts.resolve);
  server->engine_->metrics().set_connection_limits(caps);
  unsigned threads = std::max(1u, opts.threads);
  for (unsigned i = 0; i < threads; ++i)
    server->loops_.push_back(std::make_unique<Loop>(
        *server->engine_, UpstreamSettings{.max_idle_per_host = opts.upstream_idle_per_host}));
  if (cfg.tunnel_listen.empty() && cfg.http_listen.empty() && opts.listen_extra.empty())
    return util::fail(util::ErrorKind::invalid_argument,
                      "neither proxy.tunnel_listen nor proxy.http_listen is set");
  if (!cfg.tunnel_listen.empty()) SR_TRY(server->bind("tunnel", cfg.tunnel_listen));
  if (!cfg.http_listen.empty()) SR_TRY(server->bind("http", cfg.http_listen));
  for (const auto& extra : opts.listen_extra) SR_TRY(server->bind("extra", extra));
  if (!cfg.https_listen.empty()) SR_TRY(server->bind("https", cfg.https_listen));
  if (!cfg.dns_listen.empty()) SR_TRY(server->bind_dns(cfg.dns_listen, cfg.dns_proxy_ip));
  SR_TRY(server->bind("metrics", cfg.metrics_listen.empty() ? "127.0.0.1:0" : cfg.metrics_listen));
  if (!cfg.management_listen.empty()) SR_TRY(server->bind("management", cfg.management_listen));
  return server;
}

util::Result<void> Server::bind(const std::string& role, const std::string& address) {
  SR_ASSIGN(auto endpoint, util::with_context(parse_listen(address), role + " listener"));
  auto acceptor = std::make_unique<tcp::acceptor>(loops_[0]->ioc);
  error_code ec;
  auto step = [&](const char* what) {
    return util::fail(util::kind_from_errno(ec.value()),
                      std::string(what) + " " + role + " listener " + address + ": " + ec.message() +
                          " (errno " + std::to_string(ec.value()) + ")");
  };
  acceptor->open(endpoint.protocol(), ec);
  if (ec) return step("opening");
  acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor->bind(endpoint, ec);
  if (ec) return step("binding");
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return step("listening on");
  log_line("listening " + role + " " + address_text(acceptor->local_endpoint(ec)));
  listeners_.push_back(Listener{role, std::move(acceptor)});
  return {};
}

util::Result<void> Server::bind_dns(const std::string& address, const std::string& proxy_ip) {
  SR_ASSIGN(auto endpoint, util::with_context(parse_listen(address), "dns listener"));
  SR_ASSIGN(dns_, DnsResponder::bind(loops_[0]->ioc, *engine_, endpoint, proxy_ip));
  log_line("listening dns " + address_text(dns_->local_endpoint()));
  return {};
}

std::optional<std::string> Server::reload() {
  auto rules = load_rules(options_);
  if (!rules) {
    log_line("reload refused, running rules unchanged: " + rules.error().message);
    return rules.error().message;
  }
  engine_->set_rules(std::move(*rules));
  for (auto& loop : loops_) asio::post(loop->ioc, [&pool = loop->pool] { pool.clear(); });
  log_line("reloaded " + options_.config_path.string());
  return std::nullopt;
}

awaitable<void> Server::accept_loop(tcp::acceptor& acceptor, Handler handler) {
  bool failing = false;  // logged once per run of failures
  for (;;) {
    Loop& loop = *loops_[next_loop_++ % loops_.size()];
    error_code ec;
    auto socket = co_await acceptor.async_accept(loop.ioc.get_executor(), ec_token(ec));
    if (ec) {
      if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
      // Out of fds (EMFILE, ENFILE) or a transient error: the pending
      // connection stays in the backlog, so retrying at once would spin.
      // Back off briefly and keep the listener.
      engine_->metrics().count_accept_error();
      if (!failing)
        log_line("accepting a connection failed: " + ec.message() + "; retrying every 50 ms");
      failing = true;
      asio::steady_timer wait(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await wait.async_wait(ec_token(ec));
      continue;
    }
    failing = false;
    tcp::socket client(std::move(socket));
    auto peer = client.remote_endpoint(ec);
    if (ec) continue;  // already gone; closes it
    auto slot = limits_->admit(peer.address());
    if (!slot) {
      refuse_connection(client, peer.address(), slot.error());
      continue;
    }
    asio::co_spawn(loop.ioc, handler(std::move(client), loop.ctx, std::move(*slot)),
                   asio::detached);
  }
}

// Over a cap: a 503 written without reading the request, then closed. The
// write is one non-blocking send into the new socket's empty buffer, so a
// flood of connections costs no coroutine and no time. A client that has
// already sent its request may see a reset instead of the 503 (its unread
// bytes make the close a reset); either way it fails fast.
void Server::refuse_connection(tcp::socket& socket, const asio::ip::address& client,
                               ConnLimit limit) {
  engine_->metrics().count_connection_refused(limit);
  const auto& caps = limits_->settings();
  std::size_t cap = limit == ConnLimit::per_client ? caps.per_client : caps.total;
  std::string body = "sandbox-egress: too many connections (" + std::to_string(cap) + " " +
                     limit_name(limit) + (limit == ConnLimit::per_client
                                              ? ", from " + client.to_string()
                                              : std::string()) +
                     "); close idle connections and retry\n";
  std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  error_code ec;
  socket.non_blocking(true, ec);
  socket.send(asio::buffer(response), 0, ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

void Server::start_listeners() {
  auto& ioc = loops_[0]->ioc;
  for (auto& l : listeners_) {
    if (l.role == "metrics") {
      asio::co_spawn(ioc,
                     admin_accept_loop(*l.acceptor, health_handler([e = engine_.get()] {
                                         return e->metrics().render();
                                       })),
                     asio::detached);
    } else if (l.role == "management") {
      asio::co_spawn(ioc,
                     admin_accept_loop(*l.acceptor,
                                       management_handler(
                                           management_key_, [this] { return reload(); },
                                           [this](const std::string& nonce) {
                                             return run_canary(*engine_->rules(), nonce);
                                           })),
                     asio::detached);
    } else {
      asio::co_spawn(ioc, accept_loop(*l.acceptor, l.role == "https" ? &run_transparent_tls : &run_client),
                     asio::detached);
    }
  }
  if (dns_) dns_->start();
}

awaitable<void> Server::signal_loop(asio::signal_set& signals) {
  for (;;) {
    error_code ec;
    int sig = co_await signals.async_wait(ec_token(ec));
    if (ec) co_return;
    if (sig == SIGHUP) {
      log_line("SIGHUP: reloading");
      reload();
      continue;
    }
    log_line(std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT") +
             ": no longer accepting; draining in-flight requests (up to 10 s)");
    begin_shutdown();
    co_return;
  }
}

void Server::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  engine_->start_draining();
  for (auto& l : listeners_) {
    error_code ec;
    l.acceptor->close(ec);
  }
  if (dns_) dns_->close();
  asio::co_spawn(loops_[0]->ioc, drain(), asio::detached);
}

awaitable<void> Server::drain() {
  auto deadline = std::chrono::steady_clock::now() + kDrainLimit;
  asio::steady_timer timer(loops_[0]->ioc);
  while (engine_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    error_code ec;
    co_await timer.async_wait(ec_token(ec));
  }
  int left = engine_->in_flight();
  log_line(left ? std::to_string(left) + " request(s) still in flight after 10 s; stopping"
                : "drained; stopping");
  for (auto& loop : loops_) loop->ioc.stop();
}

int Server::run() {
  std::signal(SIGPIPE, SIG_IGN);
  prime_error_categories();  // before any descriptor can run out
  // Registered before "ready" is logged, so a supervisor's first SIGHUP or
  // SIGTERM is never delivered to the default handler.
  asio::signal_set signals(loops_[0]->ioc, SIGINT, SIGTERM, SIGHUP);
  start_listeners();
  asio::co_spawn(loops_[0]->ioc, signal_loop(signals), asio::detached);
  log_line("ready (" + std::to_string(loops_.size()) + " event loop thread(s))");
  engine_->audit().set_scheduler([](std::function<void()> flush) {
    if (t_current_loop == nullptr || t_current_loop->stopped()) return false;
    asio::post(*t_current_loop, std::move(flush));
    return true;
  });
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < loops_.size(); ++i)
    threads.emplace_back([&loop = *loops_[i]] { run_loop(loop.ioc); });
  run_loop(loops_[0]->ioc);
  for (auto& t : threads) t.join();
  // A batch whose flush was queued on a loop that has stopped since.
  engine_->audit().flush();
  return 0;
}

}  // namespace sr::proxy
