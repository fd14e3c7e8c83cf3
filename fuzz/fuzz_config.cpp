// proxy.yaml loading. Property: whatever loads renders to a file that loads
// again to the same rendering (the renderer and the loader agree).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proxyconf/proxy_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> ignored;
  auto config = sr::proxyconf::parse(text, "fuzz.yaml", &ignored);
  if (!config) {
    if (config.error().message.rfind("fuzz.yaml", 0) != 0) std::abort();  // errors name the source
    return 0;
  }
  std::string rendered = sr::proxyconf::render(*config);
  auto again = sr::proxyconf::parse(rendered, "rendered.yaml");
  if (!again || sr::proxyconf::render(*again) != rendered) std::abort();
  return 0;
}
