// proxy.yaml loading with yaml-cpp. Mirrors iron-proxy v0.39's decoder:
// typed sections are strict
// (unknown key = error), transform configs are loose (unknown key = ignored,
// reported), unknown transform names are fatal. Errors carry the 1-based
// line:col of the offending node (yaml-cpp marks are 0-based).
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "proxyconf/proxy_config.hpp"
#include "util/duration.hpp"
#include "util/host_port.hpp"

namespace sr::proxyconf {
namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;
constexpr int kMaxFlowDepth = 64;

struct Failure {
  util::Error error;
};

class Walker {
 public:
  Walker(std::string source, std::vector<std::string>* ignored)
      : source_(std::move(source)), ignored_(ignored) {}

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    throw Failure{util::Error{util::ErrorKind::invalid_argument, where(mark) + message, 0}};
  }

  void ignore(const YAML::Mark& mark, const std::string& path, const std::string& why) const {
    if (ignored_) ignored_->push_back(where(mark) + path + ": " + why);
  }

  std::string where(const YAML::Mark& mark) const {
    if (mark.is_null()) return source_ + ": ";
    return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
  }

  // Calls `on_key(key, value_node)` for each entry of a mapping, refusing
  // non-mappings, non-scalar keys and duplicate keys (yaml.v3 refuses those).
  void each(const YAML::Node& map, const std::string& path,
            const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>& on_key) const {
    if (!map.IsMap()) fail(map.Mark(), path + ": expected a mapping");
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) fail(it->first.Mark(), path + ": keys must be plain strings");
      std::string key = it->first.Scalar();
      if (!seen.insert(key).second)
        fail(it->first.Mark(), join(path, key) + ": duplicate key");
      on_key(key, it->first, it->second);
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  std::string str(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n.Mark(), path + ": expected a string");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& n, const std::string& path) const {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    fail(n.Mark(), path + ": expected true or false");
  }

  std::uint64_t uint(const YAML::Node& n, const std::string& path, std::uint64_t max) const {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      std::uint64_t v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (!s.empty() && ec == std::errc() && p == s.data() + s.size() && v <= max) return v;
    }
    fail(n.Mark(), path + ": expected an integer between 0 and " + std::to_string(max));
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) const {
    std::vector<std::string> out;
    if (n.IsNull()) return out;
    if (!n.IsSequence()) fail(n.Mark(), path + ": expected a list of strings");
    for (std::size_t i = 0; i < n.size(); ++i)
      out.push_back(str(n[i], path + "[" + std::to_string(i) + "]"));
    return out;
  }

  [[noreturn]] void unknown(const YAML::Node& key, const std::string& path) const {
    fail(key.Mark(), "unknown key \"" + path + "\" (iron-proxy v0.39 refuses it too)");
  }

 private:
  std::string source_;
  std::vector<std::string>* ignored_;
};

// "host:port", "[v6]:port" or ":port"; the host part is not resolved here.
bool valid_listen(const std::string& s) {
  auto parts = util::split_host_port(s, util::BareColons::refused);
  if (!parts || !parts->port) return false;
  if (parts->bracketed) return !parts->host.empty();
  for (char c : parts->host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) return false;
  return true;
}

bool valid_ipv4(const std::string& s) {
  int parts = 0;
  std::size_t pos = 0;
  while (parts < 4) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), v);
    std::size_t len = static_cast<std::size_t>(p - (s.data() + pos));
    if (ec != std::errc() || v > 255 || len == 0 || len > 3 || (len > 1 && s[pos] == '0')) return false;
    pos += len;
    if (++parts < 4) {
      if (pos >= s.size() || s[pos] != '.') return false;
      ++pos;
    }
  }
  return pos == s.size();
}

// "a.b.c.d/n" or an IPv6 address with "/n"; full address checks happen in
// the engine (proxy::parse_cidr); here the shape that iron-proxy checks.
bool looks_like_cidr(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  std::string_view prefix(s.data() + slash + 1, s.size() - slash - 1);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), v);
  if (prefix.empty() || ec != std::errc() || p != prefix.data() + prefix.size()) return false;
  std::string addr = s.substr(0, slash);
  if (addr.find(':') == std::string::npos) return valid_ipv4(addr) && v <= 32;
  return v <= 128 && addr.find_first_not_of("0123456789abcdefABCDEF:.") == std::string::npos;
}

}  // namespace

namespace {

void load_dns(const Walker& w, const YAML::Node& n, ProxyConfig& c) {
  w.each(n, "dns", [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    std::string path = "dns." + k;
    if (k == "listen") {
      c.dns_listen = v.IsNull() ? c.dns_listen : w.str(v, path);
      if (!c.dns_listen.empty() && !valid_listen(c.dns_listen))
        w.fail(v.Mark(), path + ": expected host:port, got \"" + c.dns_listen + "\"");
    } else if (k == "proxy_ip") {
      c.dns_proxy_ip = v.IsNull() ? c.dns_proxy_ip : w.str(v, path);
      if (!valid_ipv4(c.dns_proxy_ip))
        w.fail(v.Mark(), path + ": expected an IPv4 address, got \"" + c.dns_proxy_ip + "\"");
    } else if (k == "upstream_resolver" || k == "passthrough" || k == "records") {
      w.ignore(key.Mark(), path, "ignored (the built-in engine runs no DNS server)");
    } else {
      w.unknown(key, path);
    }
  });
}

void load_listen(const Walker& w, const YAML::Node& v, const std::string& path, std::string& out) {
  if (v.IsNull()) return;
  out = w.str(v, path);
  if (!out.empty() && !valid_listen(out))
    w.fail(v.Mark(), path + ": expected host:port (e.g. 127.0.0.1:9090), got \"" + out + "\"");
}

void load_proxy(const Walker& w, const YAML::Node& n, ProxyConfig& c, bool& deny_set) {
  constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 62;
  w.each(n, "proxy", [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    std::string path = "proxy." + k;
    if (k == "http_listen") {
      load_listen(w, v, path, c.http_listen);
    } else if (k == "https_listen") {
      load_listen(w, v, path, c.https_listen);
    } else if (k == "tunnel_listen") {
      load_listen(w, v, path, c.tunnel_listen);
    } else if (k == "max_request_body_bytes") {
      if (auto x = v.IsNull() ? 0 : w.uint(v, path, kMaxBytes); x != 0) c.max_request_body_bytes = x;
    } else if (k == "max_response_body_bytes") {
      c.max_response_body_bytes = v.IsNull() ? 0 : w.uint(v, path, kMaxBytes);
    } else if (k == "upstream_response_header_timeout") {
      std::string d = v.IsNull() ? "" : w.str(v, path);
      if (d.empty()) return;  // unset: the 30s default
      auto parsed = util::parse_go_duration(d);
      if (!parsed) w.fail(v.Mark(), path + ": " + parsed.error().message);
      if (parsed->count() <= 0) w.fail(v.Mark(), path + ": must be positive, got \"" + d + "\"");
      c.upstream_response_header_timeout = *parsed;
    } else if (k == "upstream_deny_cidrs") {
      if (v.IsNull()) return;  // null = absent = the default list
      c.upstream_deny_cidrs = w.strings(v, path);
      deny_set = true;
      for (std::size_t i = 0; i < c.upstream_deny_cidrs.size(); ++i)
        if (!looks_like_cidr(c.upstream_deny_cidrs[i]))
          w.fail(v[i].Mark(), path + "[" + std::to_string(i) + "]: expected a CIDR like 10.0.0.0/8, got \"" +
                                  c.upstream_deny_cidrs[i] + "\" (a bare address needs /32 or /128)");
    } else {
      w.unknown(key, path);
    }
  });
}

void load_tls(const Walker& w, const YAML::Node& n, ProxyConfig& c) {
  w.each(n, "tls", [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    std::string path = "tls." + k;
    if (k == "ca_cert") {
      c.ca_cert = v.IsNull() ? "" : w.str(v, path);
    } else if (k == "ca_key") {
      c.ca_key = v.IsNull() ? "" : w.str(v, path);
    } else if (k == "cert_cache_size") {
      if (auto x = v.IsNull() ? 0 : w.uint(v, path, 1u << 24); x != 0)
        c.cert_cache_size = static_cast<std::uint32_t>(x);
    } else if (k == "leaf_cert_expiry_hours") {
      if (auto x = v.IsNull() ? 0 : w.uint(v, path, 24u * 366 * 10); x != 0)
        c.leaf_cert_expiry_hours = static_cast<std::uint32_t>(x);
    } else if (k == "mode") {
      std::string mode = v.IsNull() ? "" : w.str(v, path);
      if (!mode.empty() && mode != "mitm")
        w.fail(v.Mark(), path + ": only \"mitm\" is supported by the built-in engine, got \"" + mode + "\"");
    } else {
      w.unknown(key, path);
    }
  });
}

void load_simple(const Walker& w, const YAML::Node& n, const std::string& section, ProxyConfig& c) {
  w.each(n, section, [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    std::string path = section + "." + k;
    if (section == "metrics" && k == "listen") {
      load_listen(w, v, path, c.metrics_listen);
    } else if (section == "management" && k == "listen") {
      load_listen(w, v, path, c.management_listen);
    } else if (section == "management" && k == "api_key_env") {
      c.management_api_key_env = v.IsNull() ? "" : w.str(v, path);
    } else if (section == "log" && k == "level") {
      std::string level = v.IsNull() ? "info" : w.str(v, path);
      std::string lower;
      for (char ch : level) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lower != "debug" && lower != "info" && lower != "warn" && lower != "error")
        w.fail(v.Mark(), path + ": expected debug, info, warn or error, got \"" + level + "\"");
      c.log_level = lower;
    } else {
      w.unknown(key, path);
    }
  });
}

}  // namespace

namespace {

// Inside transform configs, unknown keys are decoded loosely (ignored) by
// v0.39; we report each so `serve` can log it.
void load_secret_source(const Walker& w, const YAML::Node& n, const std::string& path, Secret& s) {
  w.each(n, path, [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    if (k == "type") s.source_type = w.str(v, path + ".type");
    else if (k == "var") s.source_var = w.str(v, path + ".var");
    else w.ignore(key.Mark(), Walker::join(path, k), "ignored (unknown key)");
  });
}

void load_secret_replace(const Walker& w, const YAML::Node& n, const std::string& path, Secret& s) {
  w.each(n, path, [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    std::string p = Walker::join(path, k);
    if (k == "proxy_value") s.proxy_value = w.str(v, p);
    else if (k == "match_headers") s.match_headers = w.strings(v, p);
    else if (k == "match_query") s.match_query = w.boolean(v, p);
    else if (k == "match_path") s.match_path = w.boolean(v, p);
    else if (k == "match_body") s.match_body = w.boolean(v, p);
    else if (k == "require") s.require = w.boolean(v, p);
    else w.ignore(key.Mark(), p, "ignored (unknown key)");
  });
}

void load_secret_rules(const Walker& w, const YAML::Node& n, const std::string& path, Secret& s) {
  if (n.IsNull()) return;
  if (!n.IsSequence()) w.fail(n.Mark(), path + ": expected a list of {host: ...}");
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string p = path + "[" + std::to_string(i) + "]";
    bool has_host = false;
    w.each(n[i], p, [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
      if (k == "host") {
        std::string host = w.str(v, p + ".host");
        if (host.empty()) w.fail(v.Mark(), p + ".host: must not be empty");
        s.rule_hosts.push_back(std::move(host));
        has_host = true;
      } else {
        // A rule narrowed by something we do not understand (a path, a
        // method) is dropped whole rather than widened to the whole host.
        w.ignore(key.Mark(), Walker::join(p, k), "ignored (unknown key)");
      }
    });
    if (!has_host) w.ignore(n[i].Mark(), p, "rule without a host ignored (never matches)");
  }
}

void load_secrets(const Walker& w, const YAML::Node& config, const std::string& path, ProxyConfig& c) {
  w.each(config, path, [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    std::string p = Walker::join(path, k);
    if (k != "secrets") return w.ignore(key.Mark(), p, "ignored (unknown key)");
    if (v.IsNull()) return;
    if (!v.IsSequence()) w.fail(v.Mark(), p + ": expected a list of secret entries");
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::string ep = p + "[" + std::to_string(i) + "]";
      Secret s;
      s.source_type.clear();
      w.each(v[i], ep, [&](const std::string& ek, const YAML::Node& ekey, const YAML::Node& ev) {
        if (ek == "source") load_secret_source(w, ev, ep + ".source", s);
        else if (ek == "replace") load_secret_replace(w, ev, ep + ".replace", s);
        else if (ek == "rules") load_secret_rules(w, ev, ep + ".rules", s);
        else w.ignore(ekey.Mark(), Walker::join(ep, ek), "ignored (unknown key)");
      });
      if (s.source_type != "env")
        w.fail(v[i].Mark(), ep + ".source.type: only \"env\" is supported, got \"" + s.source_type + "\"");
      if (s.source_var.empty()) w.fail(v[i].Mark(), ep + ".source.var is required");
      if (s.proxy_value.empty()) w.fail(v[i].Mark(), ep + ".replace.proxy_value is required");
      c.secrets.push_back(std::move(s));
    }
  });
}

void load_allowlist(const Walker& w, const YAML::Node& config, const std::string& path, ProxyConfig& c) {
  w.each(config, path, [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    std::string p = Walker::join(path, k);
    if (k != "domains") return w.ignore(key.Mark(), p, "ignored (unknown key)");
    auto domains = w.strings(v, p);
    for (std::size_t i = 0; i < domains.size(); ++i)
      if (domains[i].empty()) w.fail(v[i].Mark(), p + "[" + std::to_string(i) + "]: must not be empty");
    c.allowlist.insert(c.allowlist.end(), domains.begin(), domains.end());
  });
}

void load_transforms(const Walker& w, const YAML::Node& n, ProxyConfig& c) {
  if (n.IsNull()) return;
  if (!n.IsSequence()) w.fail(n.Mark(), "transforms: expected a list of {name, config}");
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string path = "transforms[" + std::to_string(i) + "]";
    std::string name;
    YAML::Node config;
    w.each(n[i], path, [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
      if (k == "name") name = w.str(v, path + ".name");
      else if (k == "config") config = v;
      else w.unknown(key, path + "." + k);
    });
    std::string cpath = path + ".config";
    bool no_config = !config.IsDefined() || config.IsNull();
    if (name == "allowlist") {
      if (!no_config) load_allowlist(w, config, cpath, c);
    } else if (name == "secrets") {
      if (!no_config) load_secrets(w, config, cpath, c);
    } else if (name.empty()) {
      w.fail(n[i].Mark(), path + ".name is required");
    } else {
      w.fail(n[i].Mark(), path + ".name: unknown transform \"" + name +
                              "\" (the built-in engine supports allowlist and secrets)");
    }
  }
}

// yaml-cpp recurses once per nesting level; refuse absurd flow nesting
// before it can exhaust the stack (block nesting is bounded by kMaxFileBytes).
bool flow_too_deep(const std::string& text) {
  int depth = 0;
  for (char ch : text) {
    if (ch == '[' || ch == '{') {
      if (++depth > kMaxFlowDepth) return true;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

ProxyConfig load_root(const Walker& w, const YAML::Node& root) {
  ProxyConfig c;
  bool deny_set = false;
  if (!root.IsDefined() || root.IsNull()) w.fail(root.Mark(), "empty configuration");
  w.each(root, "", [&](const std::string& k, const YAML::Node& key, const YAML::Node& v) {
    if (k == "dns") { if (!v.IsNull()) load_dns(w, v, c); }
    else if (k == "proxy") { if (!v.IsNull()) load_proxy(w, v, c, deny_set); }
    else if (k == "tls") { if (!v.IsNull()) load_tls(w, v, c); }
    else if (k == "metrics" || k == "management" || k == "log") { if (!v.IsNull()) load_simple(w, v, k, c); }
    else if (k == "transforms") load_transforms(w, v, c);
    else w.unknown(key, k);
  });
  if (!deny_set) c.upstream_deny_cidrs = default_deny_cidrs();
  if (c.ca_cert.empty()) w.fail(root["tls"] ? root["tls"].Mark() : root.Mark(), "tls.ca_cert is required");
  if (c.ca_key.empty()) w.fail(root["tls"] ? root["tls"].Mark() : root.Mark(), "tls.ca_key is required");
  if (!c.management_listen.empty() && c.management_api_key_env.empty())
    c.management_api_key_env = "IRON_MANAGEMENT_API_KEY";  // v0.39's default
  return c;
}

}  // namespace

util::Result<ProxyConfig> parse(const std::string& text, const std::string& source_name,
                                std::vector<std::string>* ignored) {
  Walker w(source_name, ignored);
  if (text.size() > kMaxFileBytes)
    return util::fail(util::ErrorKind::invalid_argument, source_name + ": file larger than 1 MiB");
  if (flow_too_deep(text))
    return util::fail(util::ErrorKind::invalid_argument, source_name + ": nesting deeper than " +
                                                             std::to_string(kMaxFlowDepth) + " levels");
  try {
    YAML::Node root = YAML::Load(text);
    return load_root(w, root);
  } catch (const Failure& f) {
    return std::unexpected(f.error);
  } catch (const YAML::Exception& e) {
    return util::fail(util::ErrorKind::invalid_argument, w.where(e.mark) + e.msg);
  }
}

util::Result<ProxyConfig> load(const std::filesystem::path& path, std::vector<std::string>* ignored) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return util::fail_errno("reading " + path.string());
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes)
      return util::fail(util::ErrorKind::invalid_argument, path.string() + ": file larger than 1 MiB");
  }
  if (in.bad()) return util::fail_errno("reading " + path.string());
  return parse(text, path.string(), ignored);
}

}  // namespace sr::proxyconf
