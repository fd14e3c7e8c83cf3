#include "proxy/metrics.hpp"

namespace sr::proxy {
std::string_view to_string(UpstreamError) { return "error"; }
void Metrics::count_request(Decision) {}
void Metrics::count_swap(std::string_view) {}
void Metrics::count_scrub(std::string_view) {}
void Metrics::count_upstream_error(UpstreamError) {}
void Metrics::connection_opened() {}
void Metrics::connection_closed() {}
void Metrics::observe_duration(std::chrono::nanoseconds) {}
void Metrics::count_leaf_minted() {}
std::uint64_t Metrics::requests(Decision) const { return 0; }
std::string Metrics::render() const { return {}; }  // STUB
}  // namespace sr::proxy
