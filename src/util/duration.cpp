#include "util/duration.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

namespace sr::util {
namespace {

struct DurationUnit {
  std::string_view name;
  std::uint64_t nanos;
};
constexpr std::array<DurationUnit, 8> kUnits = {{{"ns", 1},
                                                 {"us", 1000},
                                                 {"\xc2\xb5s", 1000},  // U+00B5 micro sign
                                                 {"\xce\xbcs", 1000},  // U+03BC Greek mu
                                                 {"ms", 1000000},
                                                 {"s", 1000000000},
                                                 {"m", 60000000000},
                                                 {"h", 3600000000000}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string go_quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// One "decimal unit" term of the duration at the front of s, consumed, in
// nanoseconds; the Go message of its fault otherwise. Digits beyond
// uint64's precision in the fraction are dropped, as Go drops them.
Result<std::uint64_t> take_term(std::string_view& s, std::string_view text) {
  auto invalid = [&] { return fail(ErrorKind::invalid_argument, "time: invalid duration " + go_quote(text)); };
  std::uint64_t whole = 0, frac = 0;
  double scale = 1;
  const std::size_t before = s.size();
  while (!s.empty() && is_digit(s.front())) {
    if (whole > (UINT64_MAX - 9) / 10) return invalid();
    whole = whole * 10 + static_cast<std::uint64_t>(s.front() - '0');
    s.remove_prefix(1);
  }
  const bool had_whole = s.size() != before;
  bool had_frac = false;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    const std::size_t at = s.size();
    while (!s.empty() && is_digit(s.front())) {
      if (frac <= (UINT64_MAX - 9) / 10) {
        frac = frac * 10 + static_cast<std::uint64_t>(s.front() - '0');
        scale *= 10;
      }
      s.remove_prefix(1);
    }
    had_frac = s.size() != at;
  }
  if (!had_whole && !had_frac) return invalid();
  std::size_t unit_len = 0;
  while (unit_len < s.size() && s[unit_len] != '.' && !is_digit(s[unit_len])) ++unit_len;
  if (unit_len == 0) return fail(ErrorKind::invalid_argument, "time: missing unit in duration " + go_quote(text));
  const std::string_view unit = s.substr(0, unit_len);
  s.remove_prefix(unit_len);
  auto u = std::ranges::find(kUnits, unit, &DurationUnit::name);
  if (u == kUnits.end())
    return fail(ErrorKind::invalid_argument,
                "time: unknown unit " + go_quote(unit) + " in duration " + go_quote(text));
  if (whole > (std::uint64_t{1} << 63) / u->nanos) return invalid();
  std::uint64_t v = whole * u->nanos;
  if (frac > 0)
    v += static_cast<std::uint64_t>(static_cast<double>(frac) * (static_cast<double>(u->nanos) / scale));
  return v;
}

// time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0", with Go's messages.
Result<std::chrono::nanoseconds> parse_as_go(std::string_view text) {
  auto invalid = [&] { return fail(ErrorKind::invalid_argument, "time: invalid duration " + go_quote(text)); };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid();
  std::uint64_t total = 0;
  while (!s.empty()) {
    SR_ASSIGN(const std::uint64_t term, take_term(s, text));
    total += term;
    if (total > (std::uint64_t{1} << 63)) return invalid();
  }
  if (!negative && total > static_cast<std::uint64_t>(INT64_MAX)) return invalid();
  return std::chrono::nanoseconds(negative ? -static_cast<std::int64_t>(total - 1) - 1
                                           : static_cast<std::int64_t>(total));
}

// "1.5": `value / 10^digits` in fixed point, trailing zeros dropped.
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

Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text, DurationWording wording) {
  auto parsed = parse_as_go(text);
  if (parsed || wording == DurationWording::go) return parsed;
  return fail(ErrorKind::invalid_argument,
              "invalid duration \"" + std::string(text) + "\" (expected e.g. 30s, 1m30s, 500ms)");
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
