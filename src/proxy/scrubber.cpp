#include "proxy/scrubber.hpp"

namespace sr::proxy {
ScrubRules::ScrubRules(std::vector<Replacement> replacements) : rules_(std::move(replacements)) {}
std::string ScrubRules::scrub(std::string_view text, std::size_t*) const { return std::string(text); }
std::size_t ScrubRules::scrub_prefix(std::string_view, std::size_t, std::string&, std::size_t&) const {
  return 0;
}
StreamScrubber::StreamScrubber(std::shared_ptr<const ScrubRules> rules) : rules_(std::move(rules)) {}
std::string StreamScrubber::feed(std::string_view chunk) { return std::string(chunk); }  // STUB
std::string StreamScrubber::finish() { return {}; }
}  // namespace sr::proxy
