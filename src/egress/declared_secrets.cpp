#include "egress/declared_secrets.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "egress/validate.hpp"
#include "egress/yaml_location.hpp"

namespace sr::egress {
namespace {

struct Where {
  const std::string& source;
  std::unexpected<util::Error> fail(const YAML::Node& n, const std::string& msg) const {
    return yaml_error(source, n, msg);
  }
};

bool env_var_name(const std::string& s) {
  return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::optional<CarrierKind> parse_carrier(const std::string& s) {
  for (auto k : {CarrierKind::bearer, CarrierKind::header, CarrierKind::query, CarrierKind::basic})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

// "*.com" would send the credential to every host under a top-level domain.
bool wildcard_on_tld(const std::string& host) {
  return host.rfind("*.", 0) == 0 && host.find('.', 2) == std::string::npos;
}

}  // namespace

util::Result<std::vector<std::string>> parse_host_list(const YAML::Node& n, const std::string& key,
                                                       const std::string& source) {
  Where w{source};
  if (!n || !n.IsSequence() || n.size() == 0)
    return w.fail(n ? n : YAML::Node(), key + ": expected a non-empty list of hosts");
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) return w.fail(item, key + ": expected a list of hosts");
    auto h = normalize_allowed_host(item.Scalar());
    if (!h) return w.fail(item, key + ": " + h.error().message);
    if (wildcard_on_tld(*h))
      return w.fail(item, key + ": '" + *h + "' is a wildcard on a bare top-level domain; name the domain "
                          "(e.g. *.example.com)");
    out.push_back(*h);
  }
  return out;
}

namespace {

util::Result<std::vector<Carrier>> parse_carriers(const Where& w, const YAML::Node& entry, const std::string& key) {
  YAML::Node n = entry["carrier"];
  std::vector<YAML::Node> items;
  if (!n || n.IsNull()) items.push_back(YAML::Node("bearer"));
  else if (n.IsScalar()) items.push_back(n);
  else if (n.IsSequence())
    for (const auto& item : n) items.push_back(YAML::Node(item));
  if (items.empty()) return w.fail(n, key + ".carrier: expected bearer, header, query or basic (or a list)");
  std::vector<Carrier> out;
  for (const auto& item : items) {
    auto kind = item.IsScalar() ? parse_carrier(item.Scalar()) : std::nullopt;
    if (!kind) return w.fail(item.Mark().is_null() ? n : item, key + ".carrier: unknown carrier '" +
                                 (item.IsScalar() ? item.Scalar() : std::string("?")) +
                                 "' (expected bearer, header, query or basic)");
    const char* field = *kind == CarrierKind::header ? "header"
                        : *kind == CarrierKind::query ? "param"
                        : *kind == CarrierKind::basic ? "user" : nullptr;
    Carrier c{*kind, ""};
    if (field) {
      YAML::Node v = entry[field];
      if (!v || !v.IsScalar() || v.Scalar().empty())
        return w.fail(entry, key + ": carrier " + std::string(to_string(*kind)) + " needs '" + field + ": NAME'");
      c.name = v.Scalar();
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string token_prefix(const std::string& env_name) {
  std::string out;
  for (char c : env_name) out += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

util::Result<Provider> parse_credential(const YAML::Node& where, const std::string& env_name,
                                        const YAML::Node& entry, const std::string& key,
                                        const std::string& source, std::span<const std::string_view> extra_keys) {
  Where w{source};
  if (!env_var_name(env_name))
    return w.fail(where, key + ": expected the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*)");
  if (find_provider(env_name))
    return w.fail(where, key + ": " + env_name + " is a built-in provider (see 'sandbox-egress providers')");
  if (!entry.IsMap()) return w.fail(entry, key + ": expected a mapping with hosts and carrier");
  static constexpr std::string_view kKeys[] = {"hosts", "carrier", "header", "param", "user", "match_body"};
  for (const auto& kv : entry) {
    const auto& k = kv.first.Scalar();
    if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys) &&
        std::find(extra_keys.begin(), extra_keys.end(), k) == extra_keys.end())
      return w.fail(kv.first, key + ": unknown key '" + k + "' (expected hosts, carrier, header, param, user, "
                              "match_body)");
  }
  Provider p;
  p.env_name = env_name;
  p.token_prefix = token_prefix(p.env_name);
  p.config_line = where.Mark().line + 1;
  SR_ASSIGN(p.hosts, parse_host_list(entry["hosts"], key + ".hosts", source));
  SR_ASSIGN(p.carriers, parse_carriers(w, entry, key));
  if (YAML::Node b = entry["match_body"]; b && !YAML::convert<bool>::decode(b, p.match_body))
    return w.fail(b, key + ".match_body: expected true or false");
  return p;
}

namespace {

bool same_header(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The header and host two providers both claim, if any.
std::optional<std::pair<std::string, std::string>> clash(const Provider& a, const Provider& b) {
  for (const auto& ha : match_headers(a))
    for (const auto& hb : match_headers(b))
      if (same_header(ha, hb))
        for (const auto& x : a.hosts)
          for (const auto& y : b.hosts)
            if (hosts_overlap(x, y)) return std::pair{ha, x};
  return std::nullopt;
}

std::string where_declared(const Provider& p) {
  return p.preset.empty() ? "" : " (preset " + p.preset + ")";
}

}  // namespace

bool hosts_overlap(const std::string& a, const std::string& b) {
  auto covers = [](const std::string& wild, const std::string& h) {
    if (wild.rfind("*.", 0) != 0) return false;
    const std::string apex = wild.substr(2);
    return h == apex || (h.size() > apex.size() && h.ends_with("." + apex)) ||
           (h.rfind("*.", 0) == 0 && h.substr(2).ends_with("." + apex));
  };
  return a == b || covers(a, b) || covers(b, a);
}

util::Result<std::vector<Provider>> parse_declared_secrets(const YAML::Node& section, const std::string& source) {
  Where w{source};
  if (!section || section.IsNull()) return std::vector<Provider>{};
  if (!section.IsMap()) return w.fail(section, "secrets: expected a mapping of ENV_NAME: {hosts, carrier}");
  std::vector<Provider> out;
  for (const auto& kv : section) {
    const std::string key = "secrets." + kv.first.Scalar();
    SR_ASSIGN(Provider p, parse_credential(kv.first, kv.first.Scalar(), kv.second, key, source, {}));
    SR_TRY(check_clashes(p, known_providers(out), kv.first, key, source));
    out.push_back(std::move(p));
  }
  return out;
}

util::Result<void> check_clashes(const Provider& p, std::span<const Provider> others, const YAML::Node& where,
                                 const std::string& key, const std::string& source) {
  Where w{source};
  for (const auto& other : others) {
    if (&other == &p) continue;
    if (other.env_name == p.env_name)
      return w.fail(where, key + ": " + p.env_name + " is already declared" + where_declared(other));
    if (auto c = clash(p, other))
      return w.fail(where, key + ": " + other.env_name + where_declared(other) + " already claims header " +
                               c->first + " on " + c->second + "; one credential per header and host");
  }
  return {};
}

std::vector<Provider> known_providers(std::span<const Provider> declared) {
  std::vector<Provider> out(providers().begin(), providers().end());
  out.insert(out.end(), declared.begin(), declared.end());
  return out;
}

}  // namespace sr::egress
