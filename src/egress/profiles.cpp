#include "egress/profiles.hpp"

#include <algorithm>

#include "egress/declared_secrets.hpp"
#include "egress/presets.hpp"
#include "egress/validate.hpp"
#include "egress/yaml_location.hpp"
#include "egress/yaml_named_map.hpp"

namespace sr::egress {
namespace {

util::Result<Profile> parse_one(const YAML::Node& name, const YAML::Node& entry, const std::string& source) {
  const std::string key = "profiles." + (name.IsScalar() ? name.Scalar() : std::string("?"));
  // Profile names follow preset names: lowercase letters, digits and '-'.
  if (!name.IsScalar() || !preset_name(name.Scalar()))
    return yaml_error(source, name, key + ": expected a profile name of lowercase letters, digits and '-'");
  if (!entry.IsMap()) return yaml_error(source, entry, key + ": expected a mapping with allow: [hosts]");
  for (const auto& kv : entry)
    if (kv.first.Scalar() != "allow")
      return yaml_error(source, kv.first, key + ": unknown key '" + kv.first.Scalar() + "' (expected allow)");
  Profile p;
  p.name = name.Scalar();
  p.config_line = name.Mark().line + 1;
  SR_ASSIGN(p.allow, parse_host_list(entry["allow"], key + ".allow", source));
  return p;
}

bool ends_with_domain(const std::string& host, const std::string& domain) {
  return host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.';
}

const Profile* find_profile(std::span<const Profile> profiles, const std::string& name) {
  auto it = std::find_if(profiles.begin(), profiles.end(), [&](const Profile& p) { return p.name == name; });
  return it == profiles.end() ? nullptr : &*it;
}

util::Result<void> add_host(Narrowed& out, const std::string& pattern, std::span<const std::string> allowlist,
                            const std::string& origin) {
  if (!within_allowlist(pattern, allowlist))
    return util::fail(util::ErrorKind::invalid_argument,
                      origin + ": host " + pattern + " is not on the egress allowlist; a narrowing can only "
                      "remove hosts (add it first with `sandbox-egress allow " + pattern + "`)");
  if (std::find(out.hosts.begin(), out.hosts.end(), pattern) == out.hosts.end()) out.hosts.push_back(pattern);
  return {};
}

}  // namespace

util::Result<std::vector<Profile>> parse_profiles(const YAML::Node& section, const std::string& source) {
  return parse_named_map<Profile>(section, source, "profiles", "a mapping of NAME: {allow: [hosts]}", parse_one);
}

bool within_allowlist(const std::string& pattern, std::span<const std::string> allowlist) {
  const bool wildcard = pattern.starts_with("*.");
  const std::string base = wildcard ? pattern.substr(2) : pattern;
  for (const auto& entry : allowlist) {
    if (entry.starts_with("*.")) {
      // "*.d" matches subdomains of d only (never d itself), so it covers
      // "x.d" and "*.x.d", and "*.d" itself.
      const std::string d = entry.substr(2);
      if (ends_with_domain(base, d) || (wildcard && base == d)) return true;
    } else if (!wildcard && entry == pattern) {
      return true;
    }
  }
  return false;
}

util::Result<Narrowed> resolve_narrowing(const NarrowRequest& request, std::span<const Profile> profiles,
                                         std::span<const std::string> allowlist, const std::string& config_path) {
  Narrowed out;
  std::vector<std::string> labels;
  for (const auto& name : request.profiles) {
    const Profile* p = find_profile(profiles, name);
    if (!p)
      return util::fail(util::ErrorKind::invalid_argument,
                        "--egress-profile " + name + ": no such profile; profiles are defined under profiles: in " +
                            config_path + " (profiles: {NAME: {allow: [hosts]}})");
    for (const auto& h : p->allow)
      SR_TRY(add_host(out, h, allowlist, "--egress-profile " + name + " (" + config_path + ":" +
                                             std::to_string(p->config_line) + ")"));
    labels.push_back("profile " + name);
  }
  for (const auto& raw : request.allow) {
    auto h = normalize_allowed_host(raw);
    if (!h) return util::fail(util::ErrorKind::invalid_argument, "--egress-allow " + raw + ": " + h.error().message);
    SR_TRY(add_host(out, *h, allowlist, "--egress-allow " + raw));
  }
  if (!request.allow.empty()) labels.push_back("--egress-allow");
  for (std::size_t i = 0; i < labels.size(); ++i) out.label += (i ? " + " : "") + labels[i];
  return out;
}

}  // namespace sr::egress
