#include "util/duration.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sr::util {

Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorKind::invalid_argument,
                "invalid duration \"" + std::string(text) + "\" (expected e.g. 30s, 1m30s, 500ms)");
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return bad();
  static const std::vector<std::pair<std::string_view, double>> units = {
      {"ns", 1.0}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3}, {"ms", 1e6},
      {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}};
  double total = 0;
  while (!s.empty()) {
    std::size_t digits = s.find_first_not_of("0123456789.");
    std::string_view number = s.substr(0, digits);
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) return bad();
    double value = 0;
    auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || p != number.data() + number.size()) return bad();
    s.remove_prefix(number.size());
    const std::pair<std::string_view, double>* unit = nullptr;
    for (const auto& u : units)  // "ms" before "m"/"s": longest prefix wins
      if (s.starts_with(u.first) && (!unit || u.first.size() > unit->first.size())) unit = &u;
    if (!unit) return bad();
    s.remove_prefix(unit->first.size());
    total += value * unit->second;
  }
  if (total > 9.2e18) return bad();  // Go's int64 range
  auto ns = std::chrono::nanoseconds(static_cast<std::int64_t>(total));
  return negative ? -ns : ns;
}

}  // namespace sr::util
