#include "proxy/admin/metrics.hpp"

#include <fmt/format.h>

namespace sr::proxy {
namespace {

constexpr std::array<UpstreamError, 6> kUpstreamErrors = {UpstreamError::resolve, UpstreamError::denied,
                                                          UpstreamError::connect, UpstreamError::tls,
                                                          UpstreamError::timeout, UpstreamError::protocol};
constexpr std::array<Decision, 3> kDecisions = {Decision::allow, Decision::reject, Decision::error};

// Prometheus label value escaping: backslash, double quote and newline.
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void bump(std::mutex& mu, std::map<std::string, std::uint64_t, std::less<>>& m, std::string_view key,
          std::uint64_t n = 1) {
  std::lock_guard lock(mu);
  auto it = m.find(key);
  if (it == m.end()) it = m.emplace(std::string(key), 0).first;
  it->second += n;
}

void render_map(std::string& out, std::string_view name, std::string_view help, std::string_view label,
                const std::map<std::string, std::uint64_t, std::less<>>& m) {
  out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
  for (const auto& [key, value] : m) out += fmt::format("{}{{{}=\"{}\"}} {}\n", name, label, escape_label(key), value);
}

}  // namespace

std::string_view to_string(UpstreamError kind) {
  switch (kind) {
    case UpstreamError::resolve: return "resolve";
    case UpstreamError::denied: return "denied";
    case UpstreamError::connect: return "connect";
    case UpstreamError::tls: return "tls";
    case UpstreamError::timeout: return "timeout";
    case UpstreamError::protocol: return "protocol";
  }
  return "protocol";
}

void Metrics::count_request(Decision decision) { ++requests_[static_cast<std::size_t>(decision)]; }
void Metrics::count_swap(std::string_view secret_name) { bump(mu_, swaps_, secret_name); }
void Metrics::count_scrub(std::string_view secret_name, std::uint64_t n) {
  if (n) bump(mu_, scrubs_, secret_name, n);
}
void Metrics::count_upstream_retry() { ++upstream_retries_; }

void Metrics::count_upstream_tls_handshake(bool resumed) { ++upstream_tls_[resumed ? 1 : 0]; }
void Metrics::count_upstream_error(UpstreamError kind) { ++upstream_errors_[static_cast<std::size_t>(kind)]; }
void Metrics::connection_opened() { ++open_connections_; }
void Metrics::connection_closed() { --open_connections_; }
void Metrics::count_leaf_minted() { ++leaves_minted_; }
void Metrics::count_connection_refused(ConnLimit limit) {
  ++connections_refused_[limit == ConnLimit::per_client ? 0 : 1];
}
void Metrics::count_accept_error() { ++accept_errors_; }
void Metrics::set_connection_limits(const ConnLimitSettings& limits) {
  connection_limits_[0] = limits.per_client;
  connection_limits_[1] = limits.total;
}

std::uint64_t Metrics::requests(Decision decision) const {
  return requests_[static_cast<std::size_t>(decision)].load();
}

void Metrics::observe_duration(std::chrono::nanoseconds elapsed) {
  double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = kBuckets.size();  // +Inf
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      bucket = i;
      break;
    }
  }
  ++buckets_[bucket];
  ++duration_count_;
  duration_sum_ns_ += static_cast<std::uint64_t>(elapsed.count() > 0 ? elapsed.count() : 0);
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP sandbox_egress_requests_total Requests handled, by decision.\n"
         "# TYPE sandbox_egress_requests_total counter\n";
  for (auto d : kDecisions)
    out += fmt::format("sandbox_egress_requests_total{{decision=\"{}\"}} {}\n", to_string(d), requests(d));
  {
    std::lock_guard lock(mu_);
    render_map(out, "sandbox_egress_secret_swaps_total", "Requests in which a secret was swapped, by env var name.",
               "secret", swaps_);
    render_map(out, "sandbox_egress_secret_scrubs_total",
               "Echoed secret values replaced in responses, by env var name.", "secret", scrubs_);
  }
  out += "# HELP sandbox_egress_upstream_errors_total Upstream failures, by kind.\n"
         "# TYPE sandbox_egress_upstream_errors_total counter\n";
  for (auto k : kUpstreamErrors)
    out += fmt::format("sandbox_egress_upstream_errors_total{{kind=\"{}\"}} {}\n", to_string(k),
                       upstream_errors_[static_cast<std::size_t>(k)].load());
  out += fmt::format(
      "# HELP sandbox_egress_upstream_retries_total Requests re-sent on a fresh upstream connection "
      "after a pooled one turned out closed.\n"
      "# TYPE sandbox_egress_upstream_retries_total counter\nsandbox_egress_upstream_retries_total {}\n",
      upstream_retries_.load());
  out += fmt::format(
      "# HELP sandbox_egress_upstream_tls_handshakes_total Upstream TLS handshakes, full or "
      "resuming an earlier session.\n"
      "# TYPE sandbox_egress_upstream_tls_handshakes_total counter\n"
      "sandbox_egress_upstream_tls_handshakes_total{{resumed=\"false\"}} {}\n"
      "sandbox_egress_upstream_tls_handshakes_total{{resumed=\"true\"}} {}\n",
      upstream_tls_[0].load(), upstream_tls_[1].load());
  out += fmt::format(
      "# HELP sandbox_egress_open_connections Client connections currently open.\n"
      "# TYPE sandbox_egress_open_connections gauge\nsandbox_egress_open_connections {}\n",
      open_connections_.load());
  out += fmt::format(
      "# HELP sandbox_egress_connections_refused_total New client connections refused (503) by a "
      "connection cap.\n"
      "# TYPE sandbox_egress_connections_refused_total counter\n"
      "sandbox_egress_connections_refused_total{{limit=\"per_client\"}} {}\n"
      "sandbox_egress_connections_refused_total{{limit=\"total\"}} {}\n"
      "# HELP sandbox_egress_connection_limit The connection caps in force.\n"
      "# TYPE sandbox_egress_connection_limit gauge\n"
      "sandbox_egress_connection_limit{{limit=\"per_client\"}} {}\n"
      "sandbox_egress_connection_limit{{limit=\"total\"}} {}\n"
      "# HELP sandbox_egress_accept_errors_total Failed accept() calls (e.g. out of file "
      "descriptors); the listener backs off and keeps accepting.\n"
      "# TYPE sandbox_egress_accept_errors_total counter\nsandbox_egress_accept_errors_total {}\n",
      connections_refused_[0].load(), connections_refused_[1].load(), connection_limits_[0].load(),
      connection_limits_[1].load(), accept_errors_.load());
  out += fmt::format(
      "# HELP sandbox_egress_leaf_certs_minted_total Leaf certificates minted.\n"
      "# TYPE sandbox_egress_leaf_certs_minted_total counter\nsandbox_egress_leaf_certs_minted_total {}\n",
      leaves_minted_.load());
  out += "# HELP sandbox_egress_request_duration_seconds Request duration, first byte in to last byte out.\n"
         "# TYPE sandbox_egress_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i].load();
    out += fmt::format("sandbox_egress_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[i], cumulative);
  }
  cumulative += buckets_[kBuckets.size()].load();
  out += fmt::format("sandbox_egress_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("sandbox_egress_request_duration_seconds_sum {}\n",
                     static_cast<double>(duration_sum_ns_.load()) / 1e9);
  out += fmt::format("sandbox_egress_request_duration_seconds_count {}\n", duration_count_.load());
  return out;
}

}  // namespace sr::proxy
