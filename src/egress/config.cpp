#include "egress/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>

#include "egress/config_edit.hpp"
#include "egress/declared_secrets.hpp"
#include "egress/presets.hpp"
#include "egress/validate.hpp"
#include "egress/yaml_location.hpp"
#include "proxyconf/proxy_config.hpp"
#include "util/add_unique.hpp"
#include "util/atomic_file.hpp"
#include "util/duration.hpp"
#include "util/secure_dir.hpp"
#include "util/utf8.hpp"

namespace sr::egress {

std::string_view to_string(Engine e) { return e == Engine::builtin ? "builtin" : "iron-proxy"; }
std::string_view to_string(CredentialSource c) {
  return c == CredentialSource::env ? "env" : "bitwarden";
}
std::string_view to_string(Isolation i) { return i == Isolation::internal ? "internal" : "bridge"; }

std::vector<std::string> serve_flags(const ProxySettings& proxy) {
  std::vector<std::string> out;
  auto add = [&](const char* flag, const std::string& value) {
    if (value.empty()) return;
    out.emplace_back(flag);
    out.push_back(value);
  };
  if (proxy.max_client_connections)
    add("--max-client-connections", std::to_string(*proxy.max_client_connections));
  if (proxy.max_connections) add("--max-connections", std::to_string(*proxy.max_connections));
  if (proxy.client_idle_timeout) add("--client-idle", util::format_go_duration(*proxy.client_idle_timeout));
  if (proxy.websocket_idle_timeout)
    add("--websocket-idle", util::format_go_duration(*proxy.websocket_idle_timeout));
  return out;
}

std::optional<Engine> parse_engine(std::string_view s) {
  if (s == "builtin") return Engine::builtin;
  if (s == "iron-proxy") return Engine::iron_proxy;
  return std::nullopt;
}
std::optional<Isolation> parse_isolation(std::string_view s) {
  if (s == "internal") return Isolation::internal;
  if (s == "bridge") return Isolation::bridge;
  return std::nullopt;
}

namespace {

// Errors and warnings point into the file: "path:line:col: message".
struct Locator {
  std::string path;
  std::string at(const YAML::Node& n) const { return yaml_location(path, n); }
  std::unexpected<util::Error> error(const YAML::Node& n, const std::string& msg) const {
    return yaml_error(path, n, msg);
  }
};

util::Result<std::string> scalar(const Locator& loc, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) return loc.error(n, key + ": expected a string");
  return n.Scalar();
}

util::Result<bool> boolean(const Locator& loc, const YAML::Node& n, const std::string& key) {
  bool b = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b))
    return loc.error(n, key + ": expected true or false");
  return b;
}

util::Result<std::vector<std::string>> string_list(const Locator& loc, const YAML::Node& n,
                                                   const std::string& key) {
  if (!n.IsSequence()) return loc.error(n, key + ": expected a list of strings");
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) return loc.error(item, key + ": expected a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

using KeyParser =
    std::function<util::Result<void>(const Locator&, const YAML::Node&, ProxySettings&)>;

util::Result<void> parse_port(const Locator& loc, const YAML::Node& n, ProxySettings& p) {
  long v = 0;
  if (!n.IsScalar() || !YAML::convert<long>::decode(n, v) || v < 1 || v > 65531)
    return loc.error(n, "proxy.tunnel_port: expected an integer in 1..65531 (the proxy also "
                        "uses tunnel_port+1 to +4)");
  p.tunnel_port = static_cast<std::uint16_t>(v);
  return {};
}

util::Result<void> parse_hosts(const Locator& loc, const YAML::Node& n, ProxySettings& p) {
  if (n.IsNull()) return {};
  SR_ASSIGN(auto list, string_list(loc, n, "proxy.extra_allowed_hosts"));
  p.extra_allowed_hosts.clear();
  for (size_t i = 0; i < list.size(); ++i) {
    auto h = normalize_allowed_host(list[i]);
    if (!h) return loc.error(n[i], "proxy.extra_allowed_hosts: " + h.error().message);
    p.extra_allowed_hosts.push_back(*h);
  }
  return {};
}

util::Result<void> parse_enabled_presets(const Locator& loc, const YAML::Node& n, ProxySettings& p) {
  if (n.IsNull()) return {};
  SR_ASSIGN(p.presets, string_list(loc, n, "proxy.presets"));
  return {};
}

util::Result<void> parse_deny(const Locator& loc, const YAML::Node& n, ProxySettings& p) {
  if (n.IsNull()) {
    p.upstream_deny_cidrs.reset();
    return {};
  }
  SR_ASSIGN(auto list, string_list(loc, n, "proxy.upstream_deny_cidrs"));
  for (size_t i = 0; i < list.size(); ++i) {
    auto c = validate_cidr(list[i]);
    if (!c) return loc.error(n[i], "proxy.upstream_deny_cidrs: " + c.error().message);
  }
  p.upstream_deny_cidrs = std::move(list);
  return {};
}

template <class E, class F>
KeyParser enum_key(std::string key, F parse_fn, E ProxySettings::*field, std::string choices) {
  return [=](const Locator& loc, const YAML::Node& n, ProxySettings& p) -> util::Result<void> {
    auto v = n.IsScalar() ? parse_fn(n.Scalar()) : std::nullopt;
    if (!v) return loc.error(n, "proxy." + key + ": expected one of " + choices);
    p.*field = *v;
    return {};
  };
}

KeyParser bool_key(std::string key, bool ProxySettings::*field) {
  return [=](const Locator& loc, const YAML::Node& n, ProxySettings& p) -> util::Result<void> {
    SR_ASSIGN(p.*field, boolean(loc, n, "proxy." + key));
    return {};
  };
}

KeyParser string_key(std::string key, std::string ProxySettings::*field) {
  return [=](const Locator& loc, const YAML::Node& n, ProxySettings& p) -> util::Result<void> {
    SR_ASSIGN(p.*field, scalar(loc, n, "proxy." + key));
    return {};
  };
}

std::optional<CredentialSource> parse_source(std::string_view s) {
  if (s == "env") return CredentialSource::env;
  if (s == "bitwarden") return CredentialSource::bitwarden;
  return std::nullopt;
}

// Recorded by setup as an absolute path; a relative one would depend on the
// directory `start` happens to run in.
util::Result<void> parse_env_file(const Locator& loc, const YAML::Node& n, ProxySettings& p) {
  if (n.IsNull()) {
    p.env_file.clear();
    return {};
  }
  SR_ASSIGN(std::string v, scalar(loc, n, "proxy.env_file"));
  if (!v.empty() && !std::filesystem::path(v).is_absolute())
    return loc.error(n, "proxy.env_file: expected an absolute path (re-run 'sandbox-egress setup "
                        "--env-file FILE' to record one)");
  p.env_file = std::move(v);
  return {};
}

KeyParser count_key(std::string key, std::optional<std::uint32_t> ProxySettings::*field) {
  return [=](const Locator& loc, const YAML::Node& n, ProxySettings& p) -> util::Result<void> {
    long v = 0;
    if (n.IsNull()) {
      (p.*field).reset();
      return {};
    }
    if (!n.IsScalar() || !YAML::convert<long>::decode(n, v) || v < 1 || v > 1'000'000)
      return loc.error(n, "proxy." + key + ": expected an integer in 1..1000000");
    p.*field = static_cast<std::uint32_t>(v);
    return {};
  };
}

KeyParser duration_key(std::string key, std::optional<std::chrono::nanoseconds> ProxySettings::*field) {
  return [=](const Locator& loc, const YAML::Node& n, ProxySettings& p) -> util::Result<void> {
    if (n.IsNull()) {
      (p.*field).reset();
      return {};
    }
    SR_ASSIGN(std::string v, scalar(loc, n, "proxy." + key));
    auto d = util::parse_go_duration(v);
    if (!d || d->count() <= 0)
      return loc.error(n, "proxy." + key + ": expected a duration above zero like 120s or 10m");
    p.*field = *d;
    return {};
  };
}

const std::map<std::string, KeyParser>& proxy_keys() {
  static const std::map<std::string, KeyParser> keys = {
      {"enabled", bool_key("enabled", &ProxySettings::enabled)},
      {"engine", enum_key("engine", parse_engine, &ProxySettings::engine, "builtin, iron-proxy")},
      {"tunnel_port", parse_port},
      {"auto_install", bool_key("auto_install", &ProxySettings::auto_install)},
      {"credential_source", enum_key("credential_source", parse_source,
                                     &ProxySettings::credential_source, "env, bitwarden")},
      {"enforce", bool_key("enforce", &ProxySettings::enforce)},
      {"allow_env_fallback", bool_key("allow_env_fallback", &ProxySettings::allow_env_fallback)},
      {"upstream_deny_cidrs", parse_deny},
      {"extra_allowed_hosts", parse_hosts},
      {"presets", parse_enabled_presets},
      {"isolation", enum_key("isolation", parse_isolation, &ProxySettings::isolation,
                             "internal, bridge")},
      {"release_base_url", string_key("release_base_url", &ProxySettings::release_base_url)},
      {"bitwarden_project", string_key("bitwarden_project", &ProxySettings::bitwarden_project)},
      {"bitwarden_token_env", string_key("bitwarden_token_env", &ProxySettings::bitwarden_token_env)},
      {"env_file", parse_env_file},
      {"max_client_connections",
       count_key("max_client_connections", &ProxySettings::max_client_connections)},
      {"max_connections", count_key("max_connections", &ProxySettings::max_connections)},
      {"client_idle_timeout",
       duration_key("client_idle_timeout", &ProxySettings::client_idle_timeout)},
      {"websocket_idle_timeout",
       duration_key("websocket_idle_timeout", &ProxySettings::websocket_idle_timeout)},
  };
  return keys;
}

// Calls visit(key, value) for each entry of the mapping `n` in file order: a
// null `n` has none, anything but a mapping is `not_a_map`. YAML forbids a
// key twice in one mapping, yet yaml-cpp keeps both: the loader would take
// the last while save_proxy_keys rewrites the first (found by
// fuzz/fuzz_egress_config.cpp). A repeated key is an error naming it, with
// `prefix` (e.g. "proxy.") the mapping's path.
template <class Visit>
util::Result<void> for_each_key(const Locator& loc, const YAML::Node& n, const std::string& prefix,
                                const std::string& not_a_map, Visit visit) {
  if (n.IsNull()) return {};
  if (!n.IsMap()) return loc.error(n, not_a_map);
  std::set<std::string> seen;
  for (const auto& kv : n) {
    if (kv.first.IsScalar() && !seen.insert(kv.first.Scalar()).second)
      return loc.error(kv.first, "duplicate key '" + prefix + kv.first.Scalar() + "'");
    SR_TRY(visit(kv.first, kv.second));
  }
  return {};
}

util::Result<void> parse_proxy(const Locator& loc, const YAML::Node& n, Config& c) {
  return for_each_key(loc, n, "proxy.", "proxy: expected a mapping",
                      [&](const YAML::Node& k, const YAML::Node& v) -> util::Result<void> {
                        auto it = proxy_keys().find(k.Scalar());
                        if (it != proxy_keys().end()) return it->second(loc, v, c.proxy);
                        c.warnings.push_back(loc.at(k) + ": unknown key 'proxy." + k.Scalar() + "' (ignored)");
                        return {};
                      });
}

constexpr std::array<std::string_view, 24> kUnsafeItems = {
    "privileged",     "pid_host",          "ipc_host",         "uts_host",
    "userns_host",    "cap_all",           "cap_net_admin",    "cap_net_raw",
    "cap_sys_admin",  "cap_sys_ptrace",    "cap_sys_module",   "cap_dac_read_search",
    "seccomp_unconfined", "apparmor_unconfined", "label_disable", "systempaths_unconfined",
    "new_privileges", "device",            "host_system",      "docker_socket",
    "sandbox_home",   "env_file",          "device_cgroup_rule", "log_driver"};

util::Result<void> parse_sandbox_key(const Locator& loc, const YAML::Node& k, const YAML::Node& v, Config& c) {
  const std::string key = k.Scalar();
  if (key == "allow_unsafe") {
    if (v.IsNull()) return {};
    SR_ASSIGN(c.sandbox.allow_unsafe, string_list(loc, v, "sandbox.allow_unsafe"));
    for (std::size_t i = 0; i < c.sandbox.allow_unsafe.size(); ++i)
      if (std::ranges::find(kUnsafeItems, c.sandbox.allow_unsafe[i]) == kUnsafeItems.end())
        return loc.error(v[i], "sandbox.allow_unsafe: unknown item '" + c.sandbox.allow_unsafe[i] +
                                   "' (see docs/user-guide.md)");
  } else if (key == "runtime") {
    SR_ASSIGN(c.sandbox.runtime, scalar(loc, v, "sandbox.runtime"));
  } else if (key == "require_egress") {
    SR_ASSIGN(c.sandbox.require_egress, boolean(loc, v, "sandbox.require_egress"));
  } else if (key == "allow_sandbox_to_sandbox") {
    SR_ASSIGN(c.sandbox.allow_sandbox_to_sandbox, boolean(loc, v, "sandbox.allow_sandbox_to_sandbox"));
  } else {
    c.warnings.push_back(loc.at(k) + ": unknown key 'sandbox." + key + "' (ignored)");
  }
  return {};
}

util::Result<void> parse_sandbox(const Locator& loc, const YAML::Node& n, Config& c) {
  return for_each_key(loc, n, "sandbox.", "sandbox: expected a mapping",
                      [&](const YAML::Node& k, const YAML::Node& v) { return parse_sandbox_key(loc, k, v, c); });
}

util::Result<void> parse_docker_env(const Locator& loc, const YAML::Node& n, Config& c) {
  return for_each_key(loc, n, "docker_env.", "docker_env: expected a mapping of NAME: value",
                      [&](const YAML::Node& k, const YAML::Node& v) -> util::Result<void> {
                        if (!v.IsScalar() && !v.IsNull())
                          return loc.error(v, "docker_env." + k.Scalar() + ": expected a string");
                        c.docker_env[k.Scalar()] = v.IsNull() ? "" : v.Scalar();
                        return {};
                      });
}

util::Result<void> parse_section(const Locator& loc, const YAML::Node& k, const YAML::Node& v, Config& c) {
  const std::string key = k.Scalar();
  if (key == "proxy") return parse_proxy(loc, v, c);
  if (key == "docker_env") return parse_docker_env(loc, v, c);
  if (key == "sandbox") return parse_sandbox(loc, v, c);
  if (key == "secrets") {
    SR_ASSIGN(c.secrets, parse_declared_secrets(v, loc.path));
  } else if (key == "presets") {
    SR_ASSIGN(c.presets, parse_presets(v, loc.path));
  } else if (key == "profiles") {
    SR_ASSIGN(c.profiles, parse_profiles(v, loc.path));
  } else {
    c.warnings.push_back(loc.at(k) + ": unknown key '" + key + "' (ignored)");
  }
  return {};
}

// Parses text into a node, turning yaml-cpp's exception into path:line:col.
util::Result<YAML::Node> parse_yaml(const std::string& text, const std::string& path) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = path;
    if (!e.mark.is_null())
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    return util::fail(util::ErrorKind::invalid_argument, where + ": " + e.msg);
  }
}

// The file's text, "" when it does not exist.
util::Result<std::string> read_config_text(const std::filesystem::path& path) {
  auto text = util::read_file_nofollow(path);
  if (!text && text.error().kind == util::ErrorKind::not_found) return std::string();
  if (!text) return std::unexpected(std::move(text.error()).context("reading config"));
  return *text;
}

// proxy.presets names presets defined anywhere in the file: resolved once
// every section is read. Each credential is checked against every other one.
util::Result<void> enable_presets(const Locator& loc, const YAML::Node& proxy, Config& c) {
  if (c.proxy.presets.empty()) return {};
  const YAML::Node list = proxy["presets"];
  for (std::size_t i = 0; i < c.proxy.presets.size(); ++i) {
    const std::string& name = c.proxy.presets[i];
    const Preset* p = find_preset(name, c.presets);
    if (!p) return loc.error(list[i], "proxy.presets: unknown preset '" + name + "' (built in: pypi, github, "
                                      "huggingface; or define it under presets:)");
    if (std::count(c.proxy.presets.begin(), c.proxy.presets.end(), name) > 1)
      return loc.error(list[i], "proxy.presets: '" + name + "' is listed twice");
    for (const auto& h : p->hosts) util::add_unique(c.preset_hosts, h);
    if (!p->credential) continue;
    Provider cred = *p->credential;
    if (cred.config_line == 0) cred.config_line = list[i].Mark().line + 1;
    SR_TRY(check_clashes(cred, known_providers(c.secrets), list[i], "proxy.presets: " + name, loc.path));
    c.secrets.push_back(std::move(cred));
  }
  return {};
}

}  // namespace

std::span<const std::string_view> unsafe_item_names() { return kUnsafeItems; }

util::Result<Config> load_config(const std::filesystem::path& path) {
  SR_ASSIGN(std::string text, read_config_text(path));
  return parse_config(text, path.string());
}

util::Result<Config> parse_config(const std::string& text, const std::string& source_name) {
  Config c;
  // yaml-cpp would read the bad bytes and write them back as U+FFFD when a
  // command rewrites the file, silently changing docker_env names and values.
  if (auto line = util::first_invalid_utf8_line(text))
    return util::fail(util::ErrorKind::invalid_argument,
                      source_name + ":" + std::to_string(*line) + ":1: invalid UTF-8 (the file must be UTF-8 text)");
  // Nor may it hold C0 control characters other than tab and line breaks
  // (not printable in YAML 1.2; yaml-cpp let them through on reading and
  // emitted a file that read back differently, or not at all).
  // A carriage return only as part of a CRLF line break (yaml-cpp read a
  // lone one differently from how its emitter wrote it back).
  auto bad = text.begin();
  for (; bad != text.end(); ++bad) {
    const auto ch = static_cast<unsigned char>(*bad);
    if (ch == '\r' && (bad + 1 == text.end() || bad[1] != '\n')) break;
    if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7F) break;
  }
  if (bad != text.end()) {
    auto line = 1 + std::count(text.begin(), bad, '\n');
    return util::fail(util::ErrorKind::invalid_argument,
                      fmt::format("{}:{}:1: control character 0x{:02X} (not allowed in YAML)", source_name, line,
                                  static_cast<unsigned char>(*bad)));
  }
  SR_ASSIGN(YAML::Node root, parse_yaml(text, source_name));
  Locator loc{source_name};
  if (root.IsNull()) return c;
  SR_TRY(for_each_key(loc, root, "", "expected a mapping at the top level",
                      [&](const YAML::Node& k, const YAML::Node& v) { return parse_section(loc, k, v, c); }));
  SR_TRY(enable_presets(loc, root["proxy"], c));
  return c;
}

util::Result<void> save_proxy_keys(const std::filesystem::path& path, const ProxySettings& proxy,
                                   std::span<const ProxyKey> keys) {
  std::vector<ConfigEdit> edits;
  auto set = [&](const char* key, YAML::Node value) { edits.push_back({{"proxy", key}, std::move(value)}); };
  for (auto key : keys) {
    switch (key) {
      case ProxyKey::enabled: set("enabled", YAML::Node(proxy.enabled)); break;
      case ProxyKey::engine: set("engine", YAML::Node(std::string(to_string(proxy.engine)))); break;
      case ProxyKey::tunnel_port: set("tunnel_port", YAML::Node(static_cast<int>(proxy.tunnel_port))); break;
      case ProxyKey::isolation: set("isolation", YAML::Node(std::string(to_string(proxy.isolation)))); break;
      case ProxyKey::credential_source:
        set("credential_source", YAML::Node(std::string(to_string(proxy.credential_source))));
        break;
      case ProxyKey::bitwarden_project: set("bitwarden_project", YAML::Node(proxy.bitwarden_project)); break;
      case ProxyKey::env_file:
        if (proxy.env_file.empty()) edits.push_back({{"proxy", "env_file"}, std::nullopt});
        else set("env_file", YAML::Node(proxy.env_file));
        break;
    }
  }
  return edit_config_file(path, edits);
}

}  // namespace sr::egress
