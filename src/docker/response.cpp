#include <strings.h>

#include "docker/transport.hpp"

namespace sr::docker {

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), name.size()) == 0) return value;
  return {};
}

}  // namespace sr::docker
