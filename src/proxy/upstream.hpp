// Upstream connections: asynchronous resolution (with curl-style --resolve
// overrides), a deny check on every resolved address, connect, TLS with SNI,
// hostname verification and TLS >= 1.2, and a per-loop keep-alive pool keyed
// by scheme://host:port.
//
// Contract: a pool belongs to one single-threaded event loop; acquire() and
// release() are called from that loop only.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "proxy/admin/metrics.hpp"
#include "proxy/net.hpp"

namespace sr::proxy {

enum class Scheme { http, https };

struct Target {
  Scheme scheme = Scheme::https;
  std::string host;  // lower-case, no brackets, no trailing dot
  std::uint16_t port = 443;

  [[nodiscard]] std::string key() const;
};

// "host:port" (lower-case host) -> address literal, as given to --resolve.
using ResolveOverrides = std::map<std::string, std::string>;

// Returns a non-empty reason when the address must not be dialled.
using AddressFilter = std::function<std::string(const asio::ip::address&)>;

struct DialError {
  UpstreamError kind;
  std::string message;  // names the host and the cause; never a secret
};

class UpstreamPool;

struct UpstreamConn {
  Target target;
  std::variant<PlainStream, TlsStream> stream;
  beast::flat_buffer buffer;  // bytes read past the last response
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;  // taken from the pool (it may have gone stale meanwhile)
  // Where OpenSSL's new-session callback files the tickets this connection
  // receives (the SSL's ex_data points here).
  struct SessionSlot {
    UpstreamPool* pool = nullptr;
    std::string key;
  } session_slot;
};

enum class Reuse { pooled_ok, fresh_only };

struct UpstreamSettings {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_keep{60'000};  // pooled connections older than this are closed
  std::size_t max_idle_per_host = 256;
};

class UpstreamPool {
 public:
  // `metrics` (optional) counts upstream TLS handshakes, full and resumed.
  UpstreamPool(asio::io_context& ioc, ssl::context& tls, const ResolveOverrides& overrides,
               UpstreamSettings settings = {}, Metrics* metrics = nullptr);

  // A ready connection: a pooled one still open (reused = true), else a new
  // one; fresh_only always dials (the retry after a stale pooled one). Each
  // resolved address is passed to `filter`; denied ones are never dialled.
  awaitable<std::expected<std::unique_ptr<UpstreamConn>, DialError>> acquire(
      const Target& target, const AddressFilter& filter, Reuse reuse = Reuse::pooled_ok);

  // Returns a connection whose last exchange completed with keep-alive.
  void release(std::unique_ptr<UpstreamConn> conn);

  // Closes every pooled connection and forgets the TLS sessions (after a
  // reload or at shutdown).
  void clear() {
    idle_.clear();
    sessions_.clear();
  }

  // A TLS session (a TLS 1.3 ticket) received on a connection to `key`
  // (scheme://host:port); takes ownership. A later connection to the same
  // key resumes it instead of a full handshake; each is used once.
  void remember_session(const std::string& key, SSL_SESSION* session);

 private:
  std::unique_ptr<UpstreamConn> take_pooled(const std::string& key);
  awaitable<std::expected<std::vector<tcp::endpoint>, DialError>> resolve(
      const Target& target, const AddressFilter& filter);
  awaitable<std::expected<std::unique_ptr<UpstreamConn>, DialError>> connect(
      const Target& target, std::vector<tcp::endpoint> endpoints);

  asio::io_context& ioc_;
  ssl::context& tls_;
  const ResolveOverrides& overrides_;
  UpstreamSettings settings_;
  tcp::resolver resolver_;
  std::map<std::string, std::vector<std::unique_ptr<UpstreamConn>>> idle_;
  using SessionPtr = std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)>;
  std::map<std::string, std::vector<SessionPtr>> sessions_;
  Metrics* metrics_;
};

// The client context for upstream TLS: system trust (SSL_CERT_FILE and
// SSL_CERT_DIR honoured), peer verification, TLS 1.2 minimum, ALPN http/1.1,
// and the new-session callback that hands tickets to the connection's pool.
std::unique_ptr<ssl::context> make_upstream_tls_context();

}  // namespace sr::proxy
