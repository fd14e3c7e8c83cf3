#include <catch2/catch.hpp>

#include <thread>

#include "proxy/admin/metrics.hpp"

using sr::proxy::Decision;
using sr::proxy::Metrics;
using sr::proxy::UpstreamError;

TEST_CASE("metrics: Prometheus text rendering", "[proxy][metrics]") {
  Metrics m;
  m.count_request(Decision::allow);
  m.count_request(Decision::allow);
  m.count_request(Decision::reject);
  m.count_swap("OPENAI_API_KEY");
  m.count_swap("OPENAI_API_KEY");
  m.count_swap("GEMINI_API_KEY");
  m.count_scrub("OPENAI_API_KEY");
  m.count_scrub("GEMINI_API_KEY", 3);
  m.count_scrub("GEMINI_API_KEY", 0);  // nothing replaced: no series
  m.count_upstream_retry();
  m.count_upstream_error(UpstreamError::denied);
  m.connection_opened();
  m.connection_opened();
  m.connection_closed();
  m.count_leaf_minted();
  m.observe_duration(std::chrono::microseconds(300));
  m.observe_duration(std::chrono::milliseconds(30));
  m.observe_duration(std::chrono::seconds(20));
  std::string text = m.render();
  auto has = [&](const std::string& line) {
    INFO(line);
    CHECK(text.find(line + "\n") != std::string::npos);
  };
  has("# TYPE sandbox_egress_requests_total counter");
  has("sandbox_egress_requests_total{decision=\"allow\"} 2");
  has("sandbox_egress_requests_total{decision=\"reject\"} 1");
  has("sandbox_egress_requests_total{decision=\"error\"} 0");
  has("sandbox_egress_secret_swaps_total{secret=\"GEMINI_API_KEY\"} 1");
  has("sandbox_egress_secret_swaps_total{secret=\"OPENAI_API_KEY\"} 2");
  has("sandbox_egress_secret_scrubs_total{secret=\"OPENAI_API_KEY\"} 1");
  has("sandbox_egress_secret_scrubs_total{secret=\"GEMINI_API_KEY\"} 3");
  has("sandbox_egress_upstream_retries_total 1");
  has("sandbox_egress_upstream_errors_total{kind=\"denied\"} 1");
  has("sandbox_egress_upstream_errors_total{kind=\"connect\"} 0");
  has("sandbox_egress_open_connections 1");
  has("sandbox_egress_leaf_certs_minted_total 1");
  has("# TYPE sandbox_egress_request_duration_seconds histogram");
  has("sandbox_egress_request_duration_seconds_bucket{le=\"0.0005\"} 1");
  has("sandbox_egress_request_duration_seconds_bucket{le=\"0.025\"} 1");
  has("sandbox_egress_request_duration_seconds_bucket{le=\"0.05\"} 2");
  has("sandbox_egress_request_duration_seconds_bucket{le=\"10\"} 2");
  has("sandbox_egress_request_duration_seconds_bucket{le=\"+Inf\"} 3");
  has("sandbox_egress_request_duration_seconds_count 3");
  has("sandbox_egress_request_duration_seconds_sum 20.0303");
  CHECK(m.requests(Decision::allow) == 2);
  CHECK(m.open_connections() == 1);
}

TEST_CASE("metrics: label values are escaped", "[proxy][metrics]") {
  Metrics m;
  m.count_swap("A\"B\\C\nD");
  CHECK(m.render().find("{secret=\"A\\\"B\\\\C\\nD\"} 1\n") != std::string::npos);
}

TEST_CASE("metrics: concurrent updates are all counted", "[proxy][metrics]") {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        m.count_request(Decision::allow);
        m.count_swap("K");
        m.observe_duration(std::chrono::milliseconds(1));
      }
    });
  for (auto& t : threads) t.join();
  CHECK(m.requests(Decision::allow) == 40000);
  auto text = m.render();
  CHECK(text.find("sandbox_egress_secret_swaps_total{secret=\"K\"} 40000\n") != std::string::npos);
  CHECK(text.find("sandbox_egress_request_duration_seconds_count 40000\n") != std::string::npos);
}
