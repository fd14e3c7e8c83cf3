// serve: the command (cli/cmd_serve); server: the event loops; engine: their shared state; session: a connection.
// State shared by every event loop of a running engine: the current rules
// (swapped atomically on reload), the leaf certificate cache, the audit log,
// the metrics, upstream TLS settings and the drain bookkeeping.
//
// Contract: thread-safe. Each request holds the Rules snapshot it started
// with; set_rules() never waits for them.
#pragma once

#include <atomic>
#include <memory>

#include "proxy/admin/audit.hpp"
#include "proxy/admin/metrics.hpp"
#include "proxy/net.hpp"
#include "proxy/policy/rules.hpp"
#include "proxy/tls/cert_cache.hpp"
#include "proxy/upstream.hpp"

namespace sr::proxy {

class Engine {
 public:
  Engine(std::shared_ptr<const Rules> rules, std::unique_ptr<CertCache> certs,
         std::unique_ptr<AuditLog> audit, SslCtxPtr mitm_base, ResolveOverrides overrides);

  [[nodiscard]] std::shared_ptr<const Rules> rules() const { return rules_.load(); }
  void set_rules(std::shared_ptr<const Rules> rules) { rules_.store(std::move(rules)); }

  Metrics& metrics() { return metrics_; }
  CertCache& certs() { return *certs_; }
  AuditLog& audit() { return *audit_; }
  ssl::context& upstream_tls() { return *upstream_tls_; }
  // A certificate-less server context; each tunnel switches its SSL to a leaf.
  ssl::context& mitm_base() { return *mitm_base_; }
  const ResolveOverrides& overrides() const { return overrides_; }

  // One audit line + the request metrics. `rules` redacts the strings.
  void record(const AuditRecord& record, const Rules& rules);

  [[nodiscard]] bool draining() const { return draining_.load(); }
  void start_draining() { draining_.store(true); }
  [[nodiscard]] int in_flight() const { return in_flight_.load(); }

  // Counts a request in flight for the drain on shutdown.
  class InFlight {
   public:
    explicit InFlight(Engine& e) : e_(e) { e_.in_flight_.fetch_add(1); }
    ~InFlight() { e_.in_flight_.fetch_sub(1); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    Engine& e_;
  };

 private:
  std::atomic<std::shared_ptr<const Rules>> rules_;
  std::unique_ptr<CertCache> certs_;
  std::unique_ptr<AuditLog> audit_;
  SslCtxPtr mitm_base_ctx_;
  std::unique_ptr<ssl::context> mitm_base_;
  std::unique_ptr<ssl::context> upstream_tls_;
  ResolveOverrides overrides_;
  Metrics metrics_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
};

// What one event loop owns: its io_context and its upstream pool.
struct LoopContext {
  Engine& engine;
  asio::io_context& ioc;
  UpstreamPool& pool;
};

}  // namespace sr::proxy
