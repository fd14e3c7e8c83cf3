// Every proxy.yaml the tests render (the setup goldens: each engine, isolation
// mode and declared-secret combination) checked strictly against the keys and
// types iron-proxy v0.39 accepts (tests/data/iron-proxy-v0.39-schema.json), so
// switching engines cannot fail at start on a key iron-proxy rejects, nor
// silently ignore a misspelt transform key.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "state_test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kTests = fs::path(SR_TEST_DATA_DIR).parent_path().parent_path().parent_path();

const json& schema() {
  static const json s = json::parse(sr_test::slurp(kTests / "data" / "iron-proxy-v0.39-schema.json"));
  return s;
}

struct Checker {
  std::vector<std::string> problems;

  void type(const YAML::Node& n, const std::string& want, const std::string& path) {
    bool ok = false;
    if (want == "map") ok = n.IsMap();
    else if (want == "list") ok = n.IsSequence();
    else if (want == "strings") {
      ok = n.IsSequence();
      for (const auto& i : n) ok = ok && i.IsScalar();
    } else if (want == "string") ok = n.IsScalar();
    else if (want == "bool") ok = n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false");
    else if (want == "int") ok = n.IsScalar() && !n.Scalar().empty() &&
                                 n.Scalar().find_first_not_of("0123456789") == std::string::npos;
    if (!ok) problems.push_back(path + ": expected " + want);
  }
  // Keys of `n` against the key -> type table `table`.
  void keys(const YAML::Node& n, const json& table, const std::string& path) {
    if (!n.IsMap()) return problems.push_back(path + ": expected a mapping");
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      const std::string p = path.empty() ? k : path + "." + k;
      if (!table.contains(k)) problems.push_back(p + ": unknown key");
      else type(kv.second, table[k], p);
    }
  }
  void rules(const YAML::Node& n, const std::string& path) {
    for (std::size_t i = 0; i < n.size(); ++i) keys(n[i], schema()["rule"], path + "[" + std::to_string(i) + "]");
  }
  void secret(const YAML::Node& e, const std::string& p) {
    keys(e, schema()["secret_entry"], p);
    if (!e.IsMap()) return;
    if (e["source"]) keys(e["source"], schema()["secret_source"], p + ".source");
    if (e["replace"]) keys(e["replace"], schema()["secret_replace"], p + ".replace");
    if (e["inject"]) keys(e["inject"], schema()["secret_inject"], p + ".inject");
    if (!e["replace"] == !e["inject"]) problems.push_back(p + ": exactly one of replace or inject");
    if (!e["rules"] || e["rules"].size() == 0) problems.push_back(p + ".rules: empty (never matches)");
    else rules(e["rules"], p + ".rules");
  }
  void transform(const YAML::Node& t, const std::string& p) {
    keys(t, schema()["transform"], p);
    if (!t.IsMap() || !t["name"]) return;
    const std::string name = t["name"].Scalar();
    const auto& names = schema()["transform_names"];
    if (std::find(names.begin(), names.end(), name) == names.end()) problems.push_back(p + ".name: unknown transform " + name);
    if (!schema()["transform_configs"].contains(name) || !t["config"]) return;
    keys(t["config"], schema()["transform_configs"][name], p + ".config");
    if (name == "allowlist" && t["config"]["rules"]) rules(t["config"]["rules"], p + ".config.rules");
    if (name == "secrets" && t["config"]["secrets"])
      for (std::size_t i = 0; i < t["config"]["secrets"].size(); ++i)
        secret(t["config"]["secrets"][i], p + ".config.secrets[" + std::to_string(i) + "]");
  }
  void document(const YAML::Node& doc) {
    keys(doc, schema()["top_level"], "");
    for (const auto& [section, table] : schema()["sections"].items())
      if (doc[section]) keys(doc[section], table, section);
    if (doc["transforms"])
      for (std::size_t i = 0; i < doc["transforms"].size(); ++i)
        transform(doc["transforms"][i], "transforms[" + std::to_string(i) + "]");
  }
};

std::vector<std::string> check(const std::string& text) {
  Checker c;
  c.document(YAML::Load(text));
  return c.problems;
}

}  // namespace

TEST_CASE("iron-proxy v0.39 schema: every rendered proxy.yaml passes the strict check") {
  int checked = 0;
  for (const auto& f : fs::directory_iterator(kTests / "unit" / "proxyconf" / "data")) {
    const auto name = f.path().filename().string();
    if (name.rfind("setup_", 0) != 0 && name.rfind("render_", 0) != 0) continue;
    INFO(name);
    CHECK(check(sr_test::slurp(f.path())) == std::vector<std::string>{});
    ++checked;
  }
  CHECK(checked >= 7);  // default, bridge, iron-proxy, custom hosts, empty deny, declared x2, sample
}

TEST_CASE("iron-proxy v0.39 schema: the check catches what iron-proxy refuses or ignores") {
  const std::string good = sr_test::slurp(kTests / "unit" / "proxyconf" / "data" / "setup_default.yaml");
  REQUIRE(check(good).empty());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    t.replace(t.find(from), from.size(), to);
    return check(t);
  };
  CHECK(with("match_headers:", "match_header:").front().find(".replace.match_header: unknown key") != std::string::npos);
  CHECK(with("log:\n  level: info", "log:\n  level: info\n  audit_path: /x") ==
        std::vector<std::string>{"log.audit_path: unknown key"});
  CHECK(with("dns:\n", "dns:\n  enabled: false\n") == std::vector<std::string>{"dns.enabled: unknown key"});
  CHECK(with("name: allowlist", "name: allow_list").front() == "transforms[0].name: unknown transform allow_list");
  CHECK(with("domains:", "domain:").front() == "transforms[0].config.domain: unknown key");
  CHECK(with("match_query: false", "match_query: nope").front().find("expected bool") != std::string::npos);
  CHECK(with("cert_cache_size: 1000", "cert_cache_size: many").front() == "tls.cert_cache_size: expected int");
}
