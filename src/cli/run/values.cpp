#include "cli/run/values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "util/host_port.hpp"

// Semantics follow the Docker CLI's dependencies so that the create body is
// the one `docker run` sends:
//   strconv.ParseBool / ParseInt           https://pkg.go.dev/strconv
//   go-units RAMInBytes, ParseUlimit       https://github.com/docker/go-units
//   docker/cli opts.NanoCPUs, ValidateExtraHost, normalizeCaps

namespace sr::cli {
namespace {

using util::ErrorKind;
using util::fail;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

util::Result<double> parse_float(std::string_view s) {
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  double v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return fail(ErrorKind::invalid_argument,
                "strconv.ParseFloat: parsing " + quoted(s) + ": invalid syntax");
  return negative ? -v : v;
}

constexpr std::array<std::string_view, 15> kUlimitNames = {
    "core",   "cpu",  "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
    "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"};

}  // namespace

util::Result<bool> parse_bool(std::string_view s) {
  static constexpr std::array<std::string_view, 6> yes = {"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::array<std::string_view, 6> no = {"0", "f", "F", "FALSE", "false", "False"};
  if (std::ranges::find(yes, s) != yes.end()) return true;
  if (std::ranges::find(no, s) != no.end()) return false;
  return fail(ErrorKind::invalid_argument,
              "strconv.ParseBool: parsing " + quoted(s) + ": invalid syntax");
}

util::Result<std::int64_t> parse_int64(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec == std::errc::result_out_of_range)
    return fail(ErrorKind::invalid_argument,
                "strconv.ParseInt: parsing " + quoted(s) + ": value out of range");
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return fail(ErrorKind::invalid_argument,
                "strconv.ParseInt: parsing " + quoted(s) + ": invalid syntax");
  return v;
}

util::Result<std::int64_t> parse_ram_bytes(std::string_view s) {
  // The number ends at the last digit, dot or space; the rest is the suffix.
  const auto sep = s.find_last_of("0123456789. ");
  if (sep == std::string_view::npos)
    return fail(ErrorKind::invalid_argument, "invalid size: '" + std::string(s) + "'");
  const std::string_view num = s[sep] == ' ' ? s.substr(0, sep) : s.substr(0, sep + 1);
  const std::string sfx = lower(s.substr(sep + 1));
  SR_ASSIGN(double size, parse_float(num));
  if (size < 0)
    return fail(ErrorKind::invalid_argument, "invalid size: '" + std::string(s) + "'");
  auto bad_suffix = [&] {
    return fail(ErrorKind::invalid_argument, "invalid suffix: '" + sfx + "'");
  };
  // "inf" and sizes of 2^63 bytes or more have no int64 (converting them is
  // undefined behaviour; the CLI's Go conversion wraps to a negative size).
  auto in_range = [&](double bytes) -> util::Result<std::int64_t> {
    if (!std::isfinite(bytes) || bytes >= 9223372036854775808.0)
      return fail(ErrorKind::invalid_argument, "invalid size: '" + std::string(s) + "': too large");
    return static_cast<std::int64_t>(bytes);
  };
  if (sfx.empty()) return in_range(size);
  if (sfx.size() > 3) return bad_suffix();
  if (sfx[0] == 'b') {
    if (sfx.size() > 1) return bad_suffix();
    return in_range(size);
  }
  static constexpr std::string_view units = "kmgtp";
  const auto unit = units.find(sfx[0]);
  if (unit == std::string_view::npos) return bad_suffix();
  if ((sfx.size() == 2 && sfx[1] != 'b') || (sfx.size() == 3 && sfx.substr(1) != "ib"))
    return bad_suffix();
  size *= std::pow(1024.0, static_cast<double>(unit + 1));
  return in_range(size);
}

util::Result<std::int64_t> parse_nano_cpus(std::string_view s) {
  // Exact decimal arithmetic, as big.Rat does in the CLI: mantissa digits,
  // then a power of ten.
  auto bad = [&] {
    return fail(ErrorKind::invalid_argument,
                "failed to parse " + std::string(s) + " as a rational number");
  };
  std::string_view rest = s;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  std::string mantissa;
  int exponent = 9;
  bool seen_dot = false;
  while (!rest.empty() && (std::isdigit(static_cast<unsigned char>(rest.front())) ||
                           (rest.front() == '.' && !seen_dot))) {
    if (rest.front() == '.') {
      seen_dot = true;
    } else {
      mantissa += rest.front();
      if (seen_dot) --exponent;
    }
    rest.remove_prefix(1);
  }
  if (mantissa.empty()) return bad();
  if (!rest.empty()) {
    if (rest.front() != 'e' && rest.front() != 'E') return bad();
    rest.remove_prefix(1);
    auto e = parse_int64(rest);
    if (!e || *e > 100 || *e < -100) return bad();
    exponent += static_cast<int>(*e);
  }
  mantissa.erase(0, std::min(mantissa.find_first_not_of('0'), mantissa.size()));
  for (; exponent < 0; ++exponent) {
    if (mantissa.empty()) break;
    if (mantissa.back() != '0') return fail(ErrorKind::invalid_argument, "value is too precise");
    mantissa.pop_back();
  }
  if (mantissa.empty()) return std::int64_t{0};
  mantissa.append(static_cast<std::size_t>(std::max(exponent, 0)), '0');
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(mantissa.data(), mantissa.data() + mantissa.size(), v);
  if (ec != std::errc() || end != mantissa.data() + mantissa.size())
    return fail(ErrorKind::invalid_argument, "value is too large: " + std::string(s));
  return negative ? -v : v;
}

util::Result<Ulimit> parse_ulimit(std::string_view s) {
  const auto eq = s.find('=');
  if (eq == std::string_view::npos)
    return fail(ErrorKind::invalid_argument, "invalid ulimit argument: " + std::string(s));
  Ulimit u{std::string(s.substr(0, eq)), 0, 0};
  if (std::ranges::find(kUlimitNames, u.name) == kUlimitNames.end())
    return fail(ErrorKind::invalid_argument, "invalid ulimit type: " + u.name);
  const std::string_view limits = s.substr(eq + 1);
  const auto colon = limits.find(':');
  if (colon != std::string_view::npos && limits.find(':', colon + 1) != std::string_view::npos)
    return fail(ErrorKind::invalid_argument,
                "too many limit value arguments - " + std::string(limits) +
                    ", can only have up to two, `soft[:hard]`");
  SR_ASSIGN(u.soft, parse_int64(limits.substr(0, colon)));
  u.hard = u.soft;
  if (colon != std::string_view::npos) {
    SR_ASSIGN(u.hard, parse_int64(limits.substr(colon + 1)));
  }
  if (u.hard != -1 && u.soft > u.hard)
    return fail(ErrorKind::invalid_argument,
                "ulimit soft limit must be less than or equal to hard limit: " +
                    std::to_string(u.soft) + " > " + std::to_string(u.hard));
  return u;
}

bool is_ip_address(std::string_view s) {
  const std::string text(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

util::Result<std::string> parse_extra_host(std::string_view s) {
  // host=ip is the newer form; host:ip splits at the first colon, so an
  // IPv6 address after it keeps its colons.
  auto sep = s.find('=');
  if (sep == std::string_view::npos) sep = s.find(':');
  if (sep == std::string_view::npos || sep == 0)
    return fail(ErrorKind::invalid_argument, "bad format for add-host: " + quoted(s));
  std::string_view ip = util::strip_brackets(s.substr(sep + 1));
  if (ip != "host-gateway" && !is_ip_address(ip))
    return fail(ErrorKind::invalid_argument, "invalid IP address in add-host: " + quoted(ip));
  return std::string(s.substr(0, sep)) + ":" + std::string(ip);
}

std::string normalize_capability(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\n\r");
  const auto last = s.find_last_not_of(" \t\n\r");
  std::string cap = first == std::string_view::npos ? "" : upper(s.substr(first, last - first + 1));
  if (cap != "ALL" && !cap.starts_with("CAP_")) cap.insert(0, "CAP_");
  return cap;
}

}  // namespace sr::cli
