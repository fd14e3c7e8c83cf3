// Rendering with yaml-cpp's emitter. Key order is fixed here (not taken from
// a map) so the same model always gives the same bytes, and only keys that
// iron-proxy v0.39 knows are emitted (its typed sections are strict).
#include <yaml-cpp/yaml.h>

#include "proxyconf/proxy_config.hpp"
#include "util/duration.hpp"

namespace sr::proxyconf {

namespace {

void string_seq(YAML::Emitter& out, const std::vector<std::string>& items) {
  if (items.empty()) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const auto& i : items) out << i;
  out << YAML::EndSeq;
}

void emit_secret(YAML::Emitter& out, const Secret& s) {
  out << YAML::BeginMap;
  out << YAML::Key << "source" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << s.source_type;
  out << YAML::Key << "var" << YAML::Value << s.source_var;
  out << YAML::EndMap;
  out << YAML::Key << "replace" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "proxy_value" << YAML::Value << s.proxy_value;
  out << YAML::Key << "match_headers" << YAML::Value;
  string_seq(out, s.match_headers);
  out << YAML::Key << "match_query" << YAML::Value << s.match_query;
  out << YAML::Key << "match_path" << YAML::Value << s.match_path;
  out << YAML::Key << "match_body" << YAML::Value << s.match_body;
  out << YAML::Key << "require" << YAML::Value << s.require;
  out << YAML::EndMap;
  out << YAML::Key << "rules" << YAML::Value;
  if (s.rule_hosts.empty()) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const auto& h : s.rule_hosts)
    out << YAML::BeginMap << YAML::Key << "host" << YAML::Value << h << YAML::EndMap;
  out << YAML::EndSeq;
  out << YAML::EndMap;
}

void emit_transforms(YAML::Emitter& out, const ProxyConfig& c) {
  out << YAML::Key << "transforms" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "allowlist";
  out << YAML::Key << "config" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "domains" << YAML::Value;
  string_seq(out, c.allowlist);
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "secrets";
  out << YAML::Key << "config" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "secrets" << YAML::Value;
  if (c.secrets.empty()) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const auto& s : c.secrets) emit_secret(out, s);
  out << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::EndSeq;
}

}  // namespace

std::string render(const ProxyConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "dns" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value << c.dns_listen;
  out << YAML::Key << "proxy_ip" << YAML::Value << c.dns_proxy_ip;
  out << YAML::EndMap;

  out << YAML::Key << "proxy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "http_listen" << YAML::Value << c.http_listen;
  out << YAML::Key << "https_listen" << YAML::Value << c.https_listen;
  out << YAML::Key << "tunnel_listen" << YAML::Value << c.tunnel_listen;
  out << YAML::Key << "max_request_body_bytes" << YAML::Value << c.max_request_body_bytes;
  out << YAML::Key << "max_response_body_bytes" << YAML::Value << c.max_response_body_bytes;
  out << YAML::Key << "upstream_response_header_timeout" << YAML::Value
      << util::format_go_duration(c.upstream_response_header_timeout);
  out << YAML::Key << "upstream_deny_cidrs" << YAML::Value;
  string_seq(out, c.upstream_deny_cidrs);
  out << YAML::EndMap;

  out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "ca_cert" << YAML::Value << c.ca_cert;
  out << YAML::Key << "ca_key" << YAML::Value << c.ca_key;
  out << YAML::Key << "cert_cache_size" << YAML::Value << c.cert_cache_size;
  out << YAML::Key << "leaf_cert_expiry_hours" << YAML::Value << c.leaf_cert_expiry_hours;
  out << YAML::EndMap;

  out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value << c.metrics_listen;
  out << YAML::EndMap;

  if (!c.management_listen.empty()) {
    out << YAML::Key << "management" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "listen" << YAML::Value << c.management_listen;
    out << YAML::Key << "api_key_env" << YAML::Value << c.management_api_key_env;
    out << YAML::EndMap;
  }

  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << c.log_level;
  out << YAML::EndMap;

  emit_transforms(out, c);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace sr::proxyconf
