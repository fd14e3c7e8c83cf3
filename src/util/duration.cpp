#include "util/duration.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <utility>

namespace sr::util {
namespace {

constexpr std::uint64_t kMaxNs = static_cast<std::uint64_t>(INT64_MAX);

struct Unit {
  std::string_view name;
  std::uint64_t ns;
};

// "ms" before "m" and "s": the first name that prefixes the rest wins.
constexpr std::array<Unit, 8> kUnits{{{"ns", 1},
                                      {"us", 1'000},
                                      {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
                                      {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
                                      {"ms", 1'000'000},
                                      {"s", 1'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"h", 3'600'000'000'000}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Digits "1.5" and the fraction's text after them, in integers as Go's
// time.ParseDuration reads them (so "2.3s" is exactly 2.3 s, not the nearest double).
struct Number {
  std::uint64_t whole = 0;
  std::uint64_t frac = 0;
  double scale = 1;  // 10^(digits of frac kept)
  bool any = false;
  bool overflow = false;
};

Number read_number(std::string_view& s) {
  Number n;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i, n.any = true) {
    if (n.whole > (kMaxNs - 9) / 10) n.overflow = true;
    n.whole = n.whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
  }
  if (i < s.size() && s[i] == '.') {
    bool over = false;
    for (++i; i < s.size() && is_digit(s[i]); ++i, n.any = true) {
      if (over || n.frac > (kMaxNs - 9) / 10) {
        over = true;  // digits past int64 precision are dropped, as Go does
        continue;
      }
      n.frac = n.frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
      n.scale *= 10;
    }
  }
  s.remove_prefix(i);
  return n;
}

// "1.5" as a fixed-point text of `value / 10^digits`, trailing zeros dropped.
std::string fixed(std::uint64_t value, int digits) {
  std::uint64_t div = 1;
  for (int i = 0; i < digits; ++i) div *= 10;
  std::string out = std::to_string(value / div);
  std::string frac = std::to_string(value % div);
  frac.insert(0, static_cast<std::size_t>(digits) - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out;
}

}  // namespace

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
  std::uint64_t total = 0;
  while (!s.empty()) {
    Number n = read_number(s);
    if (!n.any || n.overflow) return bad();
    const Unit* unit = nullptr;
    for (const auto& u : kUnits)
      if (s.starts_with(u.name) && (!unit || u.name.size() > unit->name.size())) unit = &u;
    if (!unit) return bad();
    s.remove_prefix(unit->name.size());
    if (n.whole > kMaxNs / unit->ns) return bad();
    std::uint64_t v = n.whole * unit->ns;
    if (n.frac > 0) v += static_cast<std::uint64_t>(static_cast<double>(n.frac) *
                                                    (static_cast<double>(unit->ns) / n.scale));
    if (v > kMaxNs || total > kMaxNs - v) return bad();  // Go's int64 nanoseconds
    total += v;
  }
  auto ns = std::chrono::nanoseconds(static_cast<std::int64_t>(total));
  return negative ? -ns : ns;
}

std::string format_go_duration(std::chrono::nanoseconds d) {
  std::int64_t count = d.count();
  std::uint64_t u = count < 0 ? 0 - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
  std::string sign = count < 0 ? "-" : "";
  if (u == 0) return "0s";
  if (u < 1'000) return sign + std::to_string(u) + "ns";
  if (u < 1'000'000) return sign + fixed(u, 3) + "\xC2\xB5s";
  if (u < 1'000'000'000) return sign + fixed(u, 6) + "ms";
  std::string out = fixed(u % 60'000'000'000, 9) + "s";
  std::uint64_t minutes = u / 60'000'000'000;
  if (minutes > 0) {
    out = std::to_string(minutes % 60) + "m" + out;
    if (minutes >= 60) out = std::to_string(minutes / 60) + "h" + out;
  }
  return sign + out;
}

}  // namespace sr::util
