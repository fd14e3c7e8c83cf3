// The proxy.yaml model: what setup renders and what both engines read.
//
// The file must stay acceptable to the pinned iron-proxy v0.39.0 (its decoder
// refuses unknown keys in typed sections), so every engine-only setting of the
// built-in engine is a `serve` flag, not a key here.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sr::proxyconf {

// One `secrets` transform entry: swap `proxy_value` for the real value read
// from env var `source_var`, only on requests to `rule_hosts`.
struct Secret {
  std::string source_type = "env";
  std::string source_var;
  std::string proxy_value;
  std::vector<std::string> match_headers;
  bool match_query = false;
  bool match_path = false;
  bool match_body = false;
  bool require = false;
  std::vector<std::string> rule_hosts;  // rules: [{host: H}, ...]
};

struct ProxyConfig {
  // dns: neutralised (v0.39 always starts it).
  std::string dns_listen = "127.0.0.1:0";
  std::string dns_proxy_ip = "127.0.0.1";

  // proxy:
  std::string http_listen;                 // plain-HTTP forward proxy
  std::string https_listen = "127.0.0.1:0";  // unused SNI listener
  std::string tunnel_listen;               // CONNECT + MITM: the HTTPS_PROXY target
  std::uint64_t max_request_body_bytes = 1048576;
  std::uint64_t max_response_body_bytes = 0;  // 0 = no cap
  // A Go duration in proxy.yaml ("30s"), parsed once by load.
  std::chrono::nanoseconds upstream_response_header_timeout = std::chrono::seconds(30);
  std::vector<std::string> upstream_deny_cidrs;          // rendered explicitly

  // tls:
  std::string ca_cert;
  std::string ca_key;
  std::uint32_t cert_cache_size = 1000;
  std::uint32_t leaf_cert_expiry_hours = 72;

  // metrics: GET /healthz (and /metrics on the built-in engine)
  std::string metrics_listen = "127.0.0.1:0";

  // management: POST /v1/reload, bearer key read from env var api_key_env.
  std::string management_listen;  // empty = off
  std::string management_api_key_env;

  std::string log_level = "info";

  // transforms: [allowlist, secrets] in that order.
  std::vector<std::string> allowlist;
  std::vector<Secret> secrets;
};

// The default proxy.upstream_deny_cidrs, in order: what setup renders when
// the user gives no list, and what the built-in engine uses when the key is
// absent or null (an explicit [] means none). Both engines read the rendered
// list, so they refuse the same ranges.
const std::vector<std::string>& default_deny_cidrs();

// Parses proxy.yaml text. `source_name` (usually the path) prefixes errors,
// which read "path:line:col: message". Unknown keys in typed sections are
// errors, as in iron-proxy v0.39; unknown keys inside a transform's config are
// ignored (reported through `ignored`, when given, one line per key).
util::Result<ProxyConfig> parse(const std::string& text, const std::string& source_name,
                                std::vector<std::string>* ignored = nullptr);
util::Result<ProxyConfig> load(const std::filesystem::path& path,
                               std::vector<std::string>* ignored = nullptr);

// Deterministic YAML (yaml-cpp emitter): same model, same bytes.
std::string render(const ProxyConfig& config);

}  // namespace sr::proxyconf
