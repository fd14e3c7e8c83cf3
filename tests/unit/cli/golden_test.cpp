// Options -> container create body, against bodies recorded from the Docker
// CLI (tests/unit/cli/data/golden_cases.py). Bodies are compared after
// dropping zero values (null, "", 0, false, empty) that the CLI spells out
// and the daemon treats as unset; Env and Binds compare as multisets because
// the Docker CLI emits -e values and binds in map order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli/run/spec.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kData = SR_TEST_DATA_DIR;

bool is_zero(const json& v) {
  return v.is_null() || (v.is_string() && v.get<std::string>().empty()) ||
         (v.is_number() && v == 0) || (v.is_boolean() && !v.get<bool>()) ||
         ((v.is_object() || v.is_array()) && v.empty());
}

json normalize(const json& v, const std::string& key = "") {
  static const std::set<std::string> verbatim = {"Entrypoint", "Cmd", "MaskedPaths", "ReadonlyPaths"};
  static const std::set<std::string> maps = {"Labels",  "Tmpfs",  "ExposedPorts",
                                             "Volumes", "PortBindings", "Options"};
  if (verbatim.contains(key)) return v;
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, x] : v.items()) {
      if (k == "ConsoleSize") continue;  // the terminal's size: the launcher's business
      json n = maps.contains(key) ? normalize(x) : normalize(x, k);
      if (maps.contains(key) || !is_zero(n)) out[k] = n;
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& x : v) out.push_back(normalize(x));
    if (key == "Env" || key == "Binds") std::sort(out.begin(), out.end());
    return out;
  }
  return v;
}

std::string query_of(const sr::runtime::RunSpec& spec) {
  std::string q;
  auto add = [&](const std::string& k, std::string v) {
    for (std::size_t p = v.find('/'); p != std::string::npos; p = v.find('/')) v.replace(p, 1, "%2F");
    q += (q.empty() ? "" : "&") + k + "=" + v;
  };
  if (!spec.name.empty()) add("name", spec.name);
  if (!spec.platform.empty()) add("platform", spec.platform);
  return q;
}

sr::cli::ParseContext golden_context() {
  return {[](const std::string& k) -> std::optional<std::string> {
            if (k == "FROM_ENV") return "from-env";
            return std::nullopt;
          },
          "/work"};
}

}  // namespace

TEST_CASE("create bodies equal the Docker CLI's for the recorded flag combinations") {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kData + "/golden"))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::ranges::sort(files);
  REQUIRE(files.size() >= 30);
  for (const auto& path : files) {
    std::ifstream in(path);
    const json golden = json::parse(in);
    std::vector<std::string> args;
    for (std::string a : golden["args"]) {
      if (auto p = a.find("@DATA@"); p != std::string::npos) a.replace(p, 6, kData);
      args.push_back(a);
    }
    INFO("case " << path.stem().string());
    auto cmd = sr::cli::parse_run_command(args, golden_context());
    REQUIRE(cmd);
    CHECK(normalize(cmd->spec.create_body).dump(1) == normalize(golden["body"]).dump(1));
    CHECK(query_of(cmd->spec) == golden["query"].get<std::string>());
  }
}
