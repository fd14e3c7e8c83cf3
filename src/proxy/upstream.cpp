#include "proxy/upstream.hpp"

#include "proxy/policy/cidr.hpp"
#include "util/host_port.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>

namespace sr::proxy {

std::string Target::key() const {
  return std::string(scheme == Scheme::https ? "https://" : "http://") + host + ":" +
         std::to_string(port);
}

namespace {

constexpr std::size_t kSessionsPerKey = 8;
constexpr std::size_t kSessionKeys = 256;

int session_slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Runs inside an SSL call on the connection's own event loop, so the pool is
// touched by its loop only.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<UpstreamConn::SessionSlot*>(SSL_get_ex_data(ssl, session_slot_index()));
  if (slot == nullptr || slot->pool == nullptr) return 0;  // OpenSSL keeps (and frees) it
  slot->pool->remember_session(slot->key, session);
  return 1;
}

}  // namespace

std::unique_ptr<ssl::context> make_upstream_tls_context() {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  // SSL_CTX_set_default_verify_paths reads SSL_CERT_FILE / SSL_CERT_DIR first.
  ctx->set_default_verify_paths();
  ctx->set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx->native_handle(), alpn, sizeof alpn);
  // Sessions are kept by each pool (per event loop, per host), not in the
  // context's shared cache.
  SSL_CTX_set_session_cache_mode(ctx->native_handle(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx->native_handle(), on_new_session);
  return ctx;
}

UpstreamPool::UpstreamPool(asio::io_context& ioc, ssl::context& tls,
                           const ResolveOverrides& overrides, UpstreamSettings settings,
                           Metrics* metrics)
    : ioc_(ioc),
      tls_(tls),
      overrides_(overrides),
      settings_(settings),
      resolver_(ioc),
      metrics_(metrics) {}

void UpstreamPool::remember_session(const std::string& key, SSL_SESSION* session) {
  SessionPtr received(session, &SSL_SESSION_free);
  if (SSL_SESSION_is_resumable(session) != 1) return;
  // A copy: the connection's own session object is marked not resumable by
  // OpenSSL when that connection is freed without a close_notify (as a pooled
  // connection dropped on close usually is), which would void the ticket.
  SessionPtr owned(SSL_SESSION_dup(session), &SSL_SESSION_free);
  if (!owned) return;
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    // Wildcard allowlists can name any number of hosts: the map is bounded.
    if (sessions_.size() >= kSessionKeys) sessions_.erase(sessions_.begin());
    it = sessions_.emplace(key, std::vector<SessionPtr>{}).first;
  }
  auto& list = it->second;
  if (list.size() >= kSessionsPerKey) list.erase(list.begin());
  list.push_back(std::move(owned));
}

namespace {

// A pooled connection is reusable only if the peer has neither closed it nor
// sent anything unsolicited (a TLS close_notify shows up as readable data).
bool still_idle(UpstreamConn& conn) {
  // Records OpenSSL read ahead of the last response (a close_notify, say)
  // are no longer visible on the socket.
  if (auto* tls = std::get_if<TlsStream>(&conn.stream); tls && tls->has_buffered()) return false;
  int fd = std::visit([](auto& s) { return beast::get_lowest_layer(s).socket().native_handle(); },
                      conn.stream);
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && conn.buffer.size() == 0;
}

std::string openssl_error_text(const error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    char buf[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
    text = buf;
  }
  return text;
}

}  // namespace

std::unique_ptr<UpstreamConn> UpstreamPool::take_pooled(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto now = std::chrono::steady_clock::now();
  auto& list = it->second;
  while (!list.empty()) {
    auto conn = std::move(list.back());
    list.pop_back();
    if (now - conn->idle_since < settings_.idle_keep && still_idle(*conn)) return conn;
  }
  return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConn> conn) {
  auto& list = idle_[conn->target.key()];
  auto now = std::chrono::steady_clock::now();
  std::erase_if(list, [&](const auto& c) { return now - c->idle_since >= settings_.idle_keep; });
  if (list.size() >= settings_.max_idle_per_host) return;  // dropped: closes it
  conn->idle_since = now;
  std::visit([](auto& s) { beast::get_lowest_layer(s).expires_never(); }, conn->stream);
  list.push_back(std::move(conn));
}

awaitable<std::expected<std::vector<tcp::endpoint>, DialError>> UpstreamPool::resolve(
    const Target& target, const AddressFilter& filter) {
  std::vector<asio::ip::address> addresses;
  auto over = overrides_.find(target.host + ":" + std::to_string(target.port));
  if (over != overrides_.end()) {
    error_code ec;
    auto addr = asio::ip::make_address(util::strip_brackets(over->second), ec);
    if (!ec) addresses.push_back(addr);
  } else {
    error_code ec;
    auto results = co_await resolver_.async_resolve(target.host, std::to_string(target.port),
                                                    ec_token(ec));
    if (ec)
      co_return std::unexpected(DialError{
          UpstreamError::resolve, "resolving " + target.host + ": " + ec.message()});
    for (const auto& r : results) addresses.push_back(r.endpoint().address());
  }
  std::vector<tcp::endpoint> allowed;
  std::string reason;
  for (const auto& addr : addresses) {
    // Whatever the deny list says: on Linux a connect to 0.0.0.0 or :: (in
    // any embedded form) reaches this host's own services.
    std::string why = is_unspecified(addr) ? addr.to_string() + " is the unspecified address, "
                                             "which reaches this host; never dialled"
                      : filter               ? filter(addr)
                                             : std::string();
    if (why.empty())
      allowed.emplace_back(addr, target.port);
    else if (reason.empty())
      reason = why;
  }
  if (allowed.empty())
    co_return std::unexpected(DialError{
        UpstreamError::denied,
        "every address of " + target.host + " is denied" + (reason.empty() ? "" : ": " + reason)});
  co_return allowed;
}

awaitable<std::expected<std::unique_ptr<UpstreamConn>, DialError>> UpstreamPool::connect(
    const Target& target, std::vector<tcp::endpoint> endpoints) {
  auto conn = std::make_unique<UpstreamConn>(UpstreamConn{
      target, std::variant<PlainStream, TlsStream>(std::in_place_type<PlainStream>, ioc_), {}, {},
      false, {}});
  PlainStream plain(ioc_);
  plain.expires_after(settings_.connect_timeout);
  error_code ec;
  co_await plain.async_connect(endpoints, ec_token(ec));
  if (ec) {
    auto kind = ec == beast::error::timeout ? UpstreamError::timeout : UpstreamError::connect;
    co_return std::unexpected(
        DialError{kind, "connecting to " + target.host + ":" + std::to_string(target.port) +
                                ": " + ec.message()});
  }
  plain.socket().set_option(tcp::no_delay(true), ec);
  if (target.scheme == Scheme::http) {
    plain.expires_never();
    conn->stream.emplace<PlainStream>(std::move(plain));
    co_return conn;
  }
  auto& tls = conn->stream.emplace<TlsStream>(std::move(plain), tls_);
  SSL* handle = tls.native_handle();
  conn->session_slot = {this, target.key()};
  SSL_set_ex_data(handle, session_slot_index(), &conn->session_slot);
  // The newest ticket for this host:port, used once (RFC 8446 §C.4).
  if (auto it = sessions_.find(conn->session_slot.key);
      it != sessions_.end() && !it->second.empty()) {
    SSL_set_session(handle, it->second.back().get());
    it->second.pop_back();
  }
  error_code addr_ec;
  asio::ip::make_address(target.host, addr_ec);
  if (addr_ec) {
    SSL_set_tlsext_host_name(handle, target.host.c_str());
    SSL_set1_host(handle, target.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), target.host.c_str());
  }
  co_await tls.async_handshake(ssl::stream_base::client, ec_token(ec));
  if (ec) {
    auto kind = ec == beast::error::timeout ? UpstreamError::timeout : UpstreamError::tls;
    co_return std::unexpected(DialError{
        kind, "TLS handshake with " + target.host + ": " + openssl_error_text(ec)});
  }
  if (metrics_) metrics_->count_upstream_tls_handshake(SSL_session_reused(handle) == 1);
  beast::get_lowest_layer(tls).expires_never();
  co_return conn;
}

awaitable<std::expected<std::unique_ptr<UpstreamConn>, DialError>> UpstreamPool::acquire(
    const Target& target, const AddressFilter& filter, Reuse reuse) {
  if (reuse == Reuse::pooled_ok) {
    if (auto pooled = take_pooled(target.key())) {
      pooled->reused = true;
      co_return pooled;
    }
  }
  auto endpoints = co_await resolve(target, filter);
  if (!endpoints) co_return std::unexpected(endpoints.error());
  co_return co_await connect(target, std::move(*endpoints));
}

}  // namespace sr::proxy
