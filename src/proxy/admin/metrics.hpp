// Engine metrics, rendered in the Prometheus text exposition format 0.0.4 on
// GET /metrics. Label values are env var names and fixed enums only: the
// caller passes secret NAMES, never tokens or values (and render() escapes
// whatever it is given). All methods are thread-safe; counters are atomics,
// the per-secret maps take a short mutex.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/conn_limits.hpp"
#include "proxy/policy/decision.hpp"

namespace sr::proxy {

enum class UpstreamError { resolve, denied, connect, tls, timeout, protocol };
std::string_view to_string(UpstreamError kind);

class Metrics {
 public:
  // Request duration buckets, seconds (upper bounds; +Inf implied).
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  void count_request(Decision decision);
  void count_swap(std::string_view secret_name);   // one per request per secret
  // `n` echoed values of one secret replaced in a response.
  void count_scrub(std::string_view secret_name, std::uint64_t n = 1);
  // A request re-sent on a fresh connection after a stale pooled one failed.
  void count_upstream_retry();
  // An upstream TLS handshake, full or resuming an earlier session.
  void count_upstream_tls_handshake(bool resumed);
  void count_upstream_error(UpstreamError kind);
  void connection_opened();
  void connection_closed();
  // A new client connection refused by a cap (answered 503 and closed).
  void count_connection_refused(ConnLimit limit);
  // accept() failed (out of file descriptors, ...); the listener backs off.
  void count_accept_error();
  // The caps in force, exposed as gauges.
  void set_connection_limits(const ConnLimitSettings& limits);
  void observe_duration(std::chrono::nanoseconds elapsed);
  void count_leaf_minted();

  [[nodiscard]] std::int64_t open_connections() const { return open_connections_.load(); }
  [[nodiscard]] std::uint64_t requests(Decision decision) const;

  // sandbox_egress_requests_total{decision=...}, sandbox_egress_secret_swaps_total{secret=...},
  // sandbox_egress_secret_scrubs_total{secret=...}, sandbox_egress_upstream_errors_total{kind=...},
  // sandbox_egress_upstream_retries_total,
  // sandbox_egress_connections_refused_total{limit="per_client"|"total"},
  // sandbox_egress_connection_limit{limit=...} (gauge), sandbox_egress_accept_errors_total,
  // sandbox_egress_upstream_tls_handshakes_total{resumed=...}, sandbox_egress_open_connections, sandbox_egress_leaf_certs_minted_total,
  // sandbox_egress_request_duration_seconds (histogram).
  [[nodiscard]] std::string render() const;

 private:
  std::array<std::atomic<std::uint64_t>, 3> requests_{};
  std::array<std::atomic<std::uint64_t>, 6> upstream_errors_{};
  std::atomic<std::int64_t> open_connections_{0};
  std::array<std::atomic<std::uint64_t>, 2> connections_refused_{};  // [per_client, total]
  std::array<std::atomic<std::uint64_t>, 2> connection_limits_{};
  std::atomic<std::uint64_t> accept_errors_{0};
  std::atomic<std::uint64_t> leaves_minted_{0};
  std::atomic<std::uint64_t> upstream_retries_{0};
  std::array<std::atomic<std::uint64_t>, 2> upstream_tls_{};  // [full, resumed]
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets_{};  // non-cumulative
  std::atomic<std::uint64_t> duration_count_{0};
  std::atomic<std::uint64_t> duration_sum_ns_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t, std::less<>> swaps_;
  std::map<std::string, std::uint64_t, std::less<>> scrubs_;
};

}  // namespace sr::proxy
