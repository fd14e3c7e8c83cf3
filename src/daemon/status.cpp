#include "daemon/status.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <ctime>
#include <sstream>

#include "egress/ca.hpp"
#include "util/atomic_file.hpp"

namespace sr::daemon {

namespace {

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "sandbox-egress";
}

std::string read_tunnel_listen(const std::filesystem::path& yaml_path, std::string& problem) {
  auto text = util::read_file_nofollow(yaml_path);
  if (!text) {
    problem = text.error().message;
    return "";
  }
  try {
    YAML::Node n = YAML::Load(*text);
    if (n["proxy"] && n["proxy"]["tunnel_listen"]) return n["proxy"]["tunnel_listen"].as<std::string>();
  } catch (const YAML::Exception& e) {
    problem = yaml_path.string() + ": " + e.what();
  }
  return "";
}

CaStatus ca_status(const egress::Paths& paths) {
  CaStatus s;
  if (!util::path_exists_nofollow(paths.ca_cert())) return s;
  s.present = true;
  auto info = egress::inspect_ca(paths.ca_cert());
  if (!info) {
    s.error = info.error().message;
    return s;
  }
  s.not_after = info->not_after;
  s.expired = info->not_after_epoch < std::time(nullptr);
  s.sha256 = info->sha256_fingerprint;
  return s;
}

std::string shown(const std::string& token, TokenDisplay d) {
  return d == TokenDisplay::shown ? token : egress::redact_token(token);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// One line: where `start` takes the mapped credentials from.
std::string credentials_from(const egress::ProxySettings& p) {
  std::string env = "the environment" + (p.env_file.empty() ? "" : ", then " + p.env_file + " (proxy.env_file)");
  if (p.credential_source == egress::CredentialSource::env) return "env (" + env + ")";
  return "bitwarden (project " + (p.bitwarden_project.empty() ? "<not set>" : p.bitwarden_project) +
         ", token $" + p.bitwarden_token_env +
         (p.allow_env_fallback ? "; falls back to " + env : "") + ")";
}

}  // namespace

util::Result<StatusReport> collect_status(const egress::Paths& paths, const egress::PresenceLookup& presence) {
  StatusReport r;
  r.paths = paths;
  SR_ASSIGN(r.config, egress::load_config(paths.config()));
  const auto& p = r.config.proxy;
  r.engine_binary = p.engine == egress::Engine::builtin ? self_exe() : paths.iron_proxy_binary().string();
  r.engine_binary_present = ::access(r.engine_binary.c_str(), X_OK) == 0;
  if (!r.engine_binary_present)
    r.problems.push_back("engine binary " + r.engine_binary + " is missing; run 'sandbox-egress install'");
  r.proxy_yaml_present = util::path_exists_nofollow(paths.proxy_yaml());
  if (r.proxy_yaml_present) {
    std::string problem;
    r.tunnel_listen = read_tunnel_listen(paths.proxy_yaml(), problem);
    if (!problem.empty()) r.problems.push_back(problem);
  } else if (p.enabled) {
    r.problems.push_back("egress is enabled but not set up; run 'sandbox-egress setup'");
  }
  r.ca = ca_status(paths);
  if (!r.ca.error.empty()) r.problems.push_back(r.ca.error);
  if (r.ca.expired) r.problems.push_back("the CA has expired; run 'sandbox-egress rotate-ca'");
  r.daemon = inspect_daemon(paths, r.config);
  // Where `start` reads mapped credentials: a recorded env file it would
  // refuse is a problem now, not a surprise at the next start.
  egress::PresenceLookup present = presence;
  if (!p.env_file.empty()) {
    if (auto file = egress::load_credential_file(p.env_file, egress::FileCheck::strict); !file) {
      r.problems.push_back("proxy.env_file: " + file.error().message);
    } else {
      present = [presence, values = std::move(file->values)](std::string_view name)
          -> std::optional<egress::CredentialOrigin> {
        if (auto o = presence(name)) return o;
        if (auto it = values.find(std::string(name)); it != values.end() && !it->second.empty())
          return egress::CredentialOrigin::env_file;
        return std::nullopt;
      };
    }
  }
  auto m = egress::load_mappings(paths.mappings());
  if (!m) {
    r.mappings_error = m.error().message;
    r.problems.push_back(r.mappings_error);
  } else {
    for (auto& t : m->tokens) {
      bool found = present(t.env_name).has_value();
      for (const auto& a : t.alias_env_names) found = found || present(a).has_value();
      r.mappings.push_back({std::move(t), found});
    }
  }
  r.uncovered = egress::discover(presence).uncovered;
  return r;
}

std::string format_status_text(const StatusReport& r, TokenDisplay tokens) {
  const auto& p = r.config.proxy;
  std::ostringstream o;
  o << "egress:            " << (p.enabled ? "enabled" : "disabled") << "\n";
  o << "engine:            " << to_string(p.engine) << "\n";
  o << "binary:            " << r.engine_binary
    << (p.engine == egress::Engine::builtin ? " serve" : "")
    << (r.engine_binary_present ? "" : " (missing)") << "\n";
  o << "config:            " << r.paths.config().string() << "\n";
  o << "proxy.yaml:        " << r.paths.proxy_yaml().string()
    << (r.proxy_yaml_present ? "" : " (not set up)") << "\n";
  o << "CA:                " << r.paths.ca_cert().string();
  if (!r.ca.present) o << " (missing)";
  else if (!r.ca.not_after.empty()) o << " (expires " << r.ca.not_after << (r.ca.expired ? ", EXPIRED" : "") << ")";
  o << "\n";
  o << "daemon:            ";
  if (!r.daemon.detail.empty()) o << r.daemon.detail;
  else if (r.daemon.pid) o << "pid " << *r.daemon.pid << (r.daemon.alive ? " alive" : " dead");
  else o << "not running";
  o << "\n";
  o << "tunnel:            " << (r.tunnel_listen.empty() ? "-" : r.tunnel_listen) << "\n";
  o << "credential source: " << credentials_from(p) << "\n";
  o << "enforcement:       " << (p.enforce ? "on (refuse unprotected sandboxes)" : "off (warn only)") << "\n";
  o << "isolation:         " << to_string(p.isolation) << "\n";
  o << "mappings:";
  if (!r.mappings_error.empty()) o << "          ERROR: " << r.mappings_error << "\n";
  else if (r.mappings.empty()) o << "          none\n";
  else o << "\n";
  for (const auto& m : r.mappings) {
    o << "  " << m.mapping.env_name;
    if (!m.mapping.alias_env_names.empty()) o << " (+" << join(m.mapping.alias_env_names) << ")";
    o << "  " << shown(m.mapping.proxy_token, tokens) << "  " << join(m.mapping.upstream_hosts)
      << (m.credential_present ? ""
          : p.env_file.empty() ? "  [not set in this shell]"
                               : "  [not set in this shell or the env file]") << "\n";
  }
  if (!r.uncovered.empty())
    o << "uncovered:         " << join(r.uncovered) << " (visible to sandboxes given them)\n";
  for (const auto& pr : r.problems) o << "problem:           " << pr << "\n";
  return o.str();
}

nlohmann::json format_status_json(const StatusReport& r, TokenDisplay tokens) {
  using nlohmann::json;
  const auto& p = r.config.proxy;
  json mappings = json::array();
  for (const auto& m : r.mappings)
    mappings.push_back({{"env_name", m.mapping.env_name},
                        {"alias_env_names", m.mapping.alias_env_names},
                        {"proxy_token", shown(m.mapping.proxy_token, tokens)},
                        {"token_redacted", tokens == TokenDisplay::redacted},
                        {"upstream_hosts", m.mapping.upstream_hosts},
                        {"match_headers", m.mapping.match_headers},
                        {"credential_present", m.credential_present}});
  const auto& d = r.daemon;
  return json{
      {"schema_version", 1},
      {"enabled", p.enabled},
      {"engine", to_string(p.engine)},
      {"engine_binary", {{"path", r.engine_binary}, {"present", r.engine_binary_present}}},
      {"config_path", r.paths.config().string()},
      {"state_dir", r.paths.state_dir().string()},
      {"proxy_yaml", {{"path", r.paths.proxy_yaml().string()}, {"present", r.proxy_yaml_present}}},
      {"tunnel_port", p.tunnel_port},
      {"tunnel_listen", r.tunnel_listen.empty() ? json(nullptr) : json(r.tunnel_listen)},
      {"ca",
       {{"path", r.paths.ca_cert().string()},
        {"present", r.ca.present},
        {"not_after", r.ca.not_after.empty() ? json(nullptr) : json(r.ca.not_after)},
        {"expired", r.ca.expired},
        {"sha256", r.ca.sha256.empty() ? json(nullptr) : json(r.ca.sha256)}}},
      {"daemon",
       {{"pid", d.pid ? json(*d.pid) : json(nullptr)},
        {"alive", d.alive},
        {"ours", d.ours},
        {"listening", d.listening},
        {"stale_pidfile", d.stale_pidfile},
        {"tunnel_address", d.tunnel_address},
        {"detail", d.detail}}},
      {"credential_source", to_string(p.credential_source)},
      {"credential_env_file", p.env_file.empty() ? json(nullptr) : json(p.env_file)},
      {"bitwarden_project", p.bitwarden_project.empty() ? json(nullptr) : json(p.bitwarden_project)},
      {"enforce", p.enforce},
      {"isolation", to_string(p.isolation)},
      {"mappings", mappings},
      {"mappings_error", r.mappings_error.empty() ? json(nullptr) : json(r.mappings_error)},
      {"uncovered", r.uncovered},
      {"warnings", r.config.warnings},
      {"problems", r.problems},
  };
}

}  // namespace sr::daemon
