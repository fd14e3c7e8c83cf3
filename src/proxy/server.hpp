// serve: the command (cli/cmd_serve); server: the event loops; engine: their shared state; session: a connection.
// The running engine: N single-threaded event loops (one io_context per
// thread, no thread per connection), the listeners, signal handling (SIGHUP
// reload; SIGTERM/SIGINT drain then stop), and reload from proxy.yaml.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proxy/net.hpp"  // first: its pragma must precede the Asio headers

#include <boost/asio/signal_set.hpp>

#include "proxy/client_timeouts.hpp"
#include "proxy/conn_limits.hpp"
#include "proxy/dns/dns_responder.hpp"
#include "proxy/engine.hpp"
#include "proxy/upstream.hpp"
#include "util/error.hpp"

namespace sr::proxy {

struct ServeOptions {
  std::filesystem::path config_path;
  // narrowings.json (proxyconf/narrowings.hpp), read with proxy.yaml at
  // start and on every reload; absent = no sandbox is narrowed.
  std::optional<std::filesystem::path> narrowings_path;
  std::optional<std::filesystem::path> audit_log;  // stderr when absent
  ResolveOverrides resolve;
  std::vector<std::string> listen_extra;  // more CONNECT/forward listeners
  unsigned threads = 2;
  std::size_t upstream_idle_per_host = UpstreamSettings{}.max_idle_per_host;  // 0: no pool
  std::size_t max_client_connections = ConnLimitSettings{}.per_client;  // per client address
  std::size_t max_connections = 0;  // in total; 0: from the open-file limit (Server::create)
  ClientTimeouts timeouts;
};

class Server {
 public:
  // Raises the open-file soft limit to the hard limit, loads the config, the
  // CA and the secrets, and binds every listener. A listener that cannot
  // bind is an error naming the address and errno.
  static util::Result<std::unique_ptr<Server>> create(ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until SIGTERM/SIGINT and the drain are over. Returns the exit code.
  int run();

  // Re-reads proxy.yaml and the environment; on success the new rules apply to
  // requests that start afterwards. Returns the reason on failure (the
  // running rules are unchanged).
  std::optional<std::string> reload();

 private:
  struct Loop;
  struct Listener {
    std::string role;  // "tunnel", "http", "https", "metrics", "management", "extra"
    std::unique_ptr<tcp::acceptor> acceptor;
  };

  explicit Server(ServeOptions options);
  util::Result<void> bind(const std::string& role, const std::string& address);
  util::Result<void> bind_dns(const std::string& address, const std::string& proxy_ip);
  void start_listeners();
  using Handler = awaitable<void> (*)(tcp::socket, LoopContext&, ConnLimits::Slot);
  awaitable<void> accept_loop(tcp::acceptor& acceptor, Handler handler);
  void refuse_connection(tcp::socket& socket, const asio::ip::address& client, ConnLimit limit);
  awaitable<void> signal_loop(asio::signal_set& signals);
  awaitable<void> drain();
  void begin_shutdown();

  ServeOptions options_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ConnLimits> limits_;
  std::string management_key_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<Listener> listeners_;
  std::unique_ptr<DnsResponder> dns_;
  std::size_t next_loop_ = 0;
  bool shutting_down_ = false;
};

}  // namespace sr::proxy
