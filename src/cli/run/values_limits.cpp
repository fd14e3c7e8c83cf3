// Values of the resource, cgroup and lifecycle options of `docker run`, with
// the semantics and wording of the Docker CLI's dependencies:
//   Go strconv.ParseUint                           https://pkg.go.dev/strconv
//   docker/cli opts/throttledevice.go, weightdevice.go, opts.go (ValidateSysctl,
//   ValidateDeviceCgroupRule), opts/gpus.go, opts/parse.go (ParseRestartPolicy)
#include <algorithm>
#include <array>
#include <charconv>
#include <regex>
#include <string>

#include "cli/run/values.hpp"

namespace sr::cli {
namespace {

using nlohmann::json;
using util::ErrorKind;
using util::fail;

std::string go_quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

util::Result<std::uint64_t> parse_uint(std::string_view s, int bits, int base = 10) {
  std::string_view digits = s;
  if (base == 0) {
    base = 10;
    if (digits.starts_with("0x") || digits.starts_with("0X")) base = 16, digits.remove_prefix(2);
    else if (digits.starts_with("0o") || digits.starts_with("0O")) base = 8, digits.remove_prefix(2);
    else if (digits.starts_with("0b") || digits.starts_with("0B")) base = 2, digits.remove_prefix(2);
    else if (digits.size() > 1 && digits.front() == '0') base = 8, digits.remove_prefix(1);
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  const bool syntax = digits.empty() || end != digits.data() + digits.size() ||
                      (ec != std::errc() && ec != std::errc::result_out_of_range);
  if (syntax)
    return fail(ErrorKind::invalid_argument, "strconv.ParseUint: parsing " + go_quote(s) + ": invalid syntax");
  if (ec == std::errc::result_out_of_range || (bits < 64 && v >> bits != 0))
    return fail(ErrorKind::invalid_argument, "strconv.ParseUint: parsing " + go_quote(s) + ": value out of range");
  return v;
}

// "path:value" with a /dev/ path, as the throttle and weight validators split it.
util::Result<std::pair<std::string, std::string>> device_and_value(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return fail(ErrorKind::invalid_argument, "bad format: " + std::string(s));
  if (!s.starts_with("/dev/"))
    return fail(ErrorKind::invalid_argument, "bad format for device path: " + std::string(s));
  return std::pair{std::string(s.substr(0, colon)), std::string(s.substr(colon + 1))};
}

}  // namespace

util::Result<std::uint16_t> parse_uint16(std::string_view s) {
  SR_ASSIGN(const std::uint64_t v, parse_uint(s, 16, 0));
  return static_cast<std::uint16_t>(v);
}

util::Result<std::int64_t> parse_swap_bytes(std::string_view s) {
  if (s == "-1") return std::int64_t{-1};
  return parse_ram_bytes(s);
}

util::Result<json> parse_weight_device(std::string_view s) {
  SR_ASSIGN(const auto dv, device_and_value(s));
  auto weight = parse_uint(dv.second, 16);
  if (!weight || (*weight > 0 && (*weight < 10 || *weight > 1000)))
    return fail(ErrorKind::invalid_argument, "invalid weight for device: " + std::string(s));
  return json{{"Path", dv.first}, {"Weight", *weight}};
}

util::Result<json> parse_throttle_bps(std::string_view s) {
  SR_ASSIGN(const auto dv, device_and_value(s));
  auto rate = parse_ram_bytes(dv.second);
  if (!rate)
    return fail(ErrorKind::invalid_argument,
                "invalid rate for device: " + std::string(s) +
                    ". The correct format is <device-path>:<number>[<unit>]. Number must be a positive "
                    "integer. Unit is optional and can be kb, mb, or gb");
  return json{{"Path", dv.first}, {"Rate", *rate}};
}

util::Result<json> parse_throttle_iops(std::string_view s) {
  SR_ASSIGN(const auto dv, device_and_value(s));
  auto rate = parse_uint(dv.second, 64);
  if (!rate)
    return fail(ErrorKind::invalid_argument,
                "invalid rate for device: " + std::string(s) +
                    ". The correct format is <device-path>:<number>. Number must be a positive integer");
  return json{{"Path", dv.first}, {"Rate", *rate}};
}

util::Result<std::string> validate_cgroup_rule(std::string_view s) {
  static const std::regex rule(R"(^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$)");
  const std::string text(s);
  if (!std::regex_match(text, rule))
    return fail(ErrorKind::invalid_argument, "invalid device cgroup format '" + text + "'");
  return text;
}

util::Result<std::pair<std::string, std::string>> parse_sysctl(std::string_view s) {
  static constexpr std::array<std::string_view, 8> names = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",  "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  const auto eq = s.find('=');
  const std::string_view key = s.substr(0, eq);
  const bool allowed = std::ranges::find(names, key) != names.end() || key.starts_with("net.") ||
                       key.starts_with("fs.mqueue.");
  if (eq == std::string_view::npos || !allowed)
    return fail(ErrorKind::invalid_argument, "sysctl '" + std::string(s) + "' is not allowed");
  return std::pair{std::string(key), std::string(s.substr(eq + 1))};
}

util::Result<RestartPolicy> parse_restart_policy(std::string_view s) {
  const auto colon = s.find(':');
  RestartPolicy p{std::string(s.substr(0, colon)), 0};
  if (colon != std::string_view::npos && colon == 0)
    return fail(ErrorKind::invalid_argument, "invalid restart policy format: no policy provided before colon");
  const std::string_view count = colon == std::string_view::npos ? "" : s.substr(colon + 1);
  if (!count.empty()) {
    auto n = parse_int64(count);
    if (!n)
      return fail(ErrorKind::invalid_argument,
                  "invalid restart policy format: maximum retry count must be an integer");
    p.max_retry = *n;
  }
  return p;
}

util::Result<json> parse_gpu_request(std::string_view s) {
  SR_ASSIGN(const auto fields, split_csv(s));
  json req = {{"Driver", ""}, {"Count", 0}, {"DeviceIDs", nullptr}, {"Capabilities", nullptr},
              {"Options", json::object()}};
  std::vector<std::string> seen;
  auto count_of = [](std::string_view v) -> util::Result<std::int64_t> {
    if (v == "all") return std::int64_t{-1};
    auto n = parse_int64(v);
    if (!n)
      return fail(ErrorKind::invalid_argument, "invalid count (" + std::string(v) +
                                                   "): value must be either \"all\" or an integer: invalid syntax");
    return *n;
  };
  for (const auto& field : fields) {
    const auto eq = field.find('=');
    const std::string key = field.substr(0, eq);
    if (std::ranges::find(seen, key) != seen.end())
      return fail(ErrorKind::invalid_argument, "gpu request key '" + key + "' can be specified only once");
    seen.push_back(key);
    const std::string val = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (eq == std::string::npos || key == "count") {
      seen.push_back("count");
      SR_ASSIGN(req["Count"], count_of(eq == std::string::npos ? key : val));
    } else if (key == "driver") {
      req["Driver"] = val;
    } else if (key == "device") {
      SR_ASSIGN(req["DeviceIDs"], split_csv(val));
    } else if (key == "capabilities") {
      SR_ASSIGN(auto caps, split_csv(val));
      caps.push_back("gpu");
      req["Capabilities"] = json::array({caps});
    } else if (key == "options") {
      SR_ASSIGN(const auto opts, split_csv(val));
      for (const auto& o : opts) req["Options"][o.substr(0, o.find('='))] = o.find('=') == std::string::npos
                                                                              ? ""
                                                                              : o.substr(o.find('=') + 1);
    } else {
      return fail(ErrorKind::invalid_argument, "unexpected key '" + key + "' in '" + field + "'");
    }
  }
  if (std::ranges::find(seen, "count") == seen.end() && req["DeviceIDs"].is_null()) req["Count"] = 1;
  if (req["Capabilities"].is_null()) req["Capabilities"] = json::array({json::array({"gpu"})});
  return req;
}

}  // namespace sr::cli
