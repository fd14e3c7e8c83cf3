// Streaming scrubber. Property: any chunking gives the one-shot result and
// the carry-over stays below the longest value.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/policy/scrubber.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // "value1\x01value2\x01...\x00text": values, then the body; cut points from the text bytes.
  auto zero = input.find('\0');
  if (zero == std::string_view::npos) return 0;
  std::vector<sr::proxy::Replacement> reps;
  std::string_view values = input.substr(0, zero);
  int n = 0;
  while (!values.empty() && n < 8) {
    auto sep = values.find('\x01');
    reps.push_back({std::string(values.substr(0, sep)), "T" + std::to_string(n++)});
    if (sep == std::string_view::npos) break;
    values.remove_prefix(sep + 1);
  }
  std::string_view text = input.substr(zero + 1);
  auto rules = std::make_shared<const sr::proxy::ScrubRules>(reps);
  std::string expected = rules->scrub(text);
  sr::proxy::StreamScrubber s(rules);
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t len = 1 + static_cast<unsigned char>(text[pos]) % 7;
    out += s.feed(text.substr(pos, len));
    if (!rules->empty() && s.pending() >= rules->longest()) std::abort();
    pos += len;
  }
  out += s.finish();
  if (out != expected) std::abort();
  return 0;
}
