// The options of `docker run` that docker/cli opts.go parse() judges only
// after every flag is read (they combine several flags, or the CLI checks
// them there rather than in the flag's own validator), with its messages.
#include "cli/run/spec_assembly.hpp"

namespace sr::cli {
namespace {

using nlohmann::json;
using util::ErrorKind;
using util::fail;
using util::Result;

Result<void> assemble_health(const HealthFlags& h, json& body) {
  const bool any = !h.cmd.empty() || h.interval != 0 || h.timeout != 0 || h.start_period != 0 ||
                   h.retries != 0 || h.start_interval != 0;
  if (h.none) {
    if (any) return fail(ErrorKind::invalid_argument, "--no-healthcheck conflicts with --health-* options");
    body["Healthcheck"] = {{"Test", {"NONE"}}};
    return {};
  }
  if (!any) return {};
  const std::pair<std::int64_t, const char*> checks[] = {
      {h.interval, "--health-interval"},       {h.timeout, "--health-timeout"},
      {h.retries, "--health-retries"},         {h.start_period, "--health-start-period"},
      {h.start_interval, "--health-start-interval"}};
  for (const auto& [v, flag] : checks)
    if (v < 0) return fail(ErrorKind::invalid_argument, std::string(flag) + " cannot be negative");
  json hc = {{"Interval", h.interval}, {"Timeout", h.timeout}, {"StartPeriod", h.start_period},
             {"Retries", h.retries}};
  if (h.start_interval != 0) hc["StartInterval"] = h.start_interval;
  if (!h.cmd.empty()) hc["Test"] = {"CMD-SHELL", h.cmd};
  body["Healthcheck"] = std::move(hc);
  return {};
}

Result<void> assemble_restart(const std::optional<std::string>& flag, bool auto_remove, json& hc) {
  RestartPolicy p{"no", 0};  // the flag's default
  if (flag) {
    SR_ASSIGN(p, parse_restart_policy(*flag));
  }
  if (auto_remove && p.name != "no" && !p.name.empty())
    return fail(ErrorKind::invalid_argument, "conflicting options: cannot specify both --restart and --rm");
  hc["RestartPolicy"] = {{"Name", p.name}, {"MaximumRetryCount", p.max_retry}};
  return {};
}

// container.NetworkMode.IsUserDefined().
bool user_defined(const std::string& mode) {
  return mode != "default" && mode != "bridge" && mode != "host" && mode != "none" &&
         !mode.starts_with("container:");
}

Result<void> assemble_endpoint(const EndpointFlags& e, json& body, json& hc) {
  const std::string mode = hc.value("NetworkMode", "default");
  if (!e.aliases.empty() && !user_defined(mode))
    return fail(ErrorKind::invalid_argument, "network-scoped aliases are only supported for user-defined networks");
  if (!e.mac.empty()) {
    if (!is_mac_address(e.mac))
      return fail(ErrorKind::invalid_argument, e.mac + " is not a valid mac address");
    // Config.MacAddress: what every daemon API version reads (EndpointSettings
    // .MacAddress needs API 1.44, where the daemon still honours this field).
    body["MacAddress"] = e.mac;
  }
  if (!e.links.empty()) hc["Links"] = e.links;
  json ep = json::object();
  if (!e.ipv4.empty()) ep["IPAMConfig"]["IPv4Address"] = e.ipv4;
  if (!e.ipv6.empty()) ep["IPAMConfig"]["IPv6Address"] = e.ipv6;
  if (!e.link_local_ips.empty()) ep["IPAMConfig"]["LinkLocalIPs"] = e.link_local_ips;
  if (!e.aliases.empty()) ep["Aliases"] = e.aliases;
  if (!e.links.empty() && user_defined(mode)) ep["Links"] = e.links;
  if (!ep.empty()) body["NetworkingConfig"]["EndpointsConfig"][mode] = std::move(ep);
  return {};
}

// opts.ConvertKVStringsToMap: "k=v" -> k:v, "k" -> k:"".
json kv_map(const std::vector<std::string>& items) {
  json m = json::object();
  for (const auto& kv : items) {
    const auto eq = kv.find('=');
    m[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return m;
}

}  // namespace

Result<void> assemble_late_options(const SpecBuilder& b, json& body, json& hc) {
  SR_TRY(assemble_health(b.health, body));
  SR_TRY(assemble_restart(b.restart, b.spec.auto_remove, hc));
  SR_TRY(assemble_endpoint(b.endpoint, body, hc));
  if (b.log_driver || !b.log_opts.empty()) {
    const std::string driver = b.log_driver.value_or("");
    if (driver == "none" && !b.log_opts.empty())
      return fail(ErrorKind::invalid_argument, "invalid logging opts for driver none");
    hc["LogConfig"] = {{"Type", driver}, {"Config", kv_map(b.log_opts)}};
  }
  for (const auto& opt : b.storage_opts)
    if (opt.find('=') == std::string::npos) return fail(ErrorKind::invalid_argument, "invalid storage option");
  if (!b.storage_opts.empty()) hc["StorageOpt"] = kv_map(b.storage_opts);
  for (const auto& e : b.expose) {
    SR_ASSIGN(const auto ports, parse_expose(e));
    for (const auto& p : ports) body["ExposedPorts"][p] = json::object();
  }
  if (b.cgroupns) {
    if (*b.cgroupns != "" && *b.cgroupns != "host" && *b.cgroupns != "private")
      return fail(ErrorKind::invalid_argument, "--cgroupns: invalid CGROUP mode");
    hc["CgroupnsMode"] = *b.cgroupns;
  }
  const std::int64_t swappiness = b.swappiness.value_or(-1);
  if (swappiness != -1 && (swappiness < 0 || swappiness > 100))
    return fail(ErrorKind::invalid_argument,
                "invalid value: " + std::to_string(swappiness) + ". Valid memory swappiness range is 0-100");
  hc["MemorySwappiness"] = swappiness;
  return {};
}

}  // namespace sr::cli
