#include "egress/config_keys.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <map>

#include "proxyconf/proxy_config.hpp"
#include "util/duration.hpp"

namespace sr::egress {
namespace {

using Getter = std::function<YAML::Node(const Config&)>;

template <class T>
YAML::Node node(const T& v) {
  return YAML::Node(v);
}
YAML::Node text(std::string_view s) { return YAML::Node(std::string(s)); }
YAML::Node list(const std::vector<std::string>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& s : v) n.push_back(s);
  return n;
}
YAML::Node count(const std::optional<std::uint32_t>& v) { return v ? YAML::Node(*v) : YAML::Node(); }
YAML::Node maybe(const std::string& s) { return s.empty() ? YAML::Node() : YAML::Node(s); }
YAML::Node duration(const std::optional<std::chrono::nanoseconds>& d) {
  return d ? YAML::Node(util::format_go_duration(*d)) : YAML::Node();
}

// Every key parse_config reads under proxy: and sandbox:, with its value.
const std::map<std::string, Getter>& getters() {
  static const std::map<std::string, Getter> g = {
      {"proxy.enabled", [](const Config& c) { return node(c.proxy.enabled); }},
      {"proxy.engine", [](const Config& c) { return text(to_string(c.proxy.engine)); }},
      {"proxy.tunnel_port", [](const Config& c) { return node(static_cast<int>(c.proxy.tunnel_port)); }},
      {"proxy.auto_install", [](const Config& c) { return node(c.proxy.auto_install); }},
      {"proxy.credential_source", [](const Config& c) { return text(to_string(c.proxy.credential_source)); }},
      {"proxy.enforce", [](const Config& c) { return node(c.proxy.enforce); }},
      {"proxy.allow_env_fallback", [](const Config& c) { return node(c.proxy.allow_env_fallback); }},
      {"proxy.upstream_deny_cidrs",
       [](const Config& c) { return list(c.proxy.upstream_deny_cidrs.value_or(proxyconf::default_deny_cidrs())); }},
      {"proxy.extra_allowed_hosts", [](const Config& c) { return list(c.proxy.extra_allowed_hosts); }},
      {"proxy.presets", [](const Config& c) { return list(c.proxy.presets); }},
      {"proxy.isolation", [](const Config& c) { return text(to_string(c.proxy.isolation)); }},
      {"proxy.release_base_url", [](const Config& c) { return maybe(c.proxy.release_base_url); }},
      {"proxy.bitwarden_project", [](const Config& c) { return maybe(c.proxy.bitwarden_project); }},
      {"proxy.bitwarden_token_env", [](const Config& c) { return node(c.proxy.bitwarden_token_env); }},
      {"proxy.env_file", [](const Config& c) { return maybe(c.proxy.env_file); }},
      {"proxy.max_client_connections", [](const Config& c) { return count(c.proxy.max_client_connections); }},
      {"proxy.max_connections", [](const Config& c) { return count(c.proxy.max_connections); }},
      {"proxy.client_idle_timeout", [](const Config& c) { return duration(c.proxy.client_idle_timeout); }},
      {"proxy.websocket_idle_timeout", [](const Config& c) { return duration(c.proxy.websocket_idle_timeout); }},
      {"sandbox.allow_unsafe", [](const Config& c) { return list(c.sandbox.allow_unsafe); }},
      {"sandbox.runtime", [](const Config& c) { return maybe(c.sandbox.runtime); }},
      {"sandbox.allow_sandbox_to_sandbox", [](const Config& c) { return node(c.sandbox.allow_sandbox_to_sandbox); }},
      {"sandbox.require_egress", [](const Config& c) { return node(c.sandbox.require_egress); }},
  };
  return g;
}

}  // namespace

util::Result<std::vector<std::string>> setting_path(const std::string& key) {
  const auto dot = key.find('.');
  if (dot != std::string::npos && key.substr(0, dot) == "docker_env" && dot + 1 < key.size() &&
      key.find('.', dot + 1) == std::string::npos)
    return std::vector<std::string>{"docker_env", key.substr(dot + 1)};
  if (getters().contains(key)) return std::vector<std::string>{key.substr(0, dot), key.substr(dot + 1)};
  std::string names;
  for (const auto& [name, get] : getters()) names += (names.empty() ? "" : ", ") + name;
  return util::fail(util::ErrorKind::invalid_argument,
                    "unknown setting '" + key + "' (expected one of " + names + ", or docker_env.NAME; "
                    "secrets and presets have their own commands)");
}

util::Result<YAML::Node> effective_setting(const Config& config, const std::vector<std::string>& path) {
  if (path.size() == 2 && path[0] == "docker_env") {
    auto it = config.docker_env.find(path[1]);
    if (it == config.docker_env.end())
      return util::fail(util::ErrorKind::not_found, "docker_env." + path[1] + " is not set");
    return YAML::Node(it->second);
  }
  const std::string key = path.size() == 2 ? path[0] + "." + path[1] : "";
  auto it = getters().find(key);
  if (it == getters().end()) return util::fail(util::ErrorKind::invalid_argument, "unknown setting '" + key + "'");
  return it->second(config);
}

YAML::Node parse_cli_value(const std::string& text) {
  try {
    YAML::Node n = YAML::Load(text);
    if (n.IsScalar() || n.IsSequence()) return n;
  } catch (const YAML::Exception&) {
  }
  return YAML::Node(text);
}

}  // namespace sr::egress
