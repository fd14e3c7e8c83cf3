#include "proxy/host_match.hpp"

namespace sr::proxy {
std::optional<std::string> normalize_host(std::string_view) { return std::nullopt; }  // STUB
std::optional<HostPort> split_host_port(std::string_view) { return std::nullopt; }     // STUB
util::Result<HostMatcher> HostMatcher::create(const std::vector<std::string>&) {
  return util::fail(util::ErrorKind::generic, "HostMatcher: not implemented yet");
}
bool HostMatcher::matches(std::string_view) const { return false; }
bool HostMatcher::matches_normalized(std::string_view) const { return false; }
}  // namespace sr::proxy
