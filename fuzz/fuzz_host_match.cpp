// Host normalisation, host patterns, CIDR parsing. Properties checked beyond
// "no crash": normalisation is idempotent and yields only safe characters; a
// matcher built from a name matches that name.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/policy/cidr.hpp"
#include "proxy/policy/host_match.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto n = sr::proxy::normalize_host(input)) {
    auto again = sr::proxy::normalize_host(*n);
    if (!again || *again != *n) std::abort();
    if (n->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-_:") != std::string::npos) std::abort();
    auto self = sr::proxy::HostMatcher::create({*n});
    if (!self || !self->matches(input)) std::abort();
  }
  (void)sr::proxy::split_host_port(input);
  (void)sr::proxy::parse_cidr(input);

  // First line: patterns separated by ','; the rest: hosts to look up.
  auto nl = input.find('\n');
  std::vector<std::string> patterns;
  std::string_view head = input.substr(0, nl);
  while (!head.empty()) {
    auto comma = head.find(',');
    patterns.emplace_back(head.substr(0, comma));
    if (comma == std::string_view::npos) break;
    head.remove_prefix(comma + 1);
  }
  if (auto m = sr::proxy::HostMatcher::create(patterns); m && nl != std::string_view::npos) {
    std::string_view rest = input.substr(nl + 1);
    bool a = m->matches(rest);
    // Case, a trailing dot and a port never change the answer.
    std::string upper(rest);
    for (char& c : upper)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (m->matches(upper) != a) std::abort();
  }
  return 0;
}
