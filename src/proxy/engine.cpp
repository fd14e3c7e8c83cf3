// serve: the command (cli/cmd_serve); server: the event loops; engine: their shared state; session: a connection.
#include "proxy/engine.hpp"

namespace sr::proxy {

namespace {

// asio::ssl::context takes ownership of the handle it wraps, so it gets its
// own reference.
std::unique_ptr<ssl::context> wrap_ctx(const SslCtxPtr& ctx) {
  SSL_CTX_up_ref(ctx.get());
  return std::make_unique<ssl::context>(ctx.get());
}

// Pooled upstream connections sit idle most of the time: OpenSSL frees their
// record buffers while nothing is buffered (Asio's engine sets it per SSL too).
std::unique_ptr<ssl::context> upstream_ctx() {
  auto ctx = make_upstream_tls_context();
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

}  // namespace

Engine::Engine(std::shared_ptr<const Rules> rules, std::unique_ptr<CertCache> certs,
               std::unique_ptr<AuditLog> audit, SslCtxPtr mitm_base, ResolveOverrides overrides)
    : rules_(std::move(rules)),
      certs_(std::move(certs)),
      audit_(std::move(audit)),
      mitm_base_ctx_(std::move(mitm_base)),
      mitm_base_(wrap_ctx(mitm_base_ctx_)),
      upstream_tls_(upstream_ctx()),
      overrides_(std::move(overrides)) {}

void Engine::record(const AuditRecord& record, const Rules& rules) {
  audit_->write(record, &rules.secrets);
  metrics_.count_request(record.decision);
  for (const auto& name : record.secrets_swapped) metrics_.count_swap(name);
  metrics_.observe_duration(record.duration);
}

}  // namespace sr::proxy
