#include "proxyconf/narrowings.hpp"

#include <arpa/inet.h>

#include <set>

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"

namespace sr::proxyconf {
namespace {

using nlohmann::json;

util::Result<SandboxNarrowing> parse_entry(const json& e, const std::string& where) {
  auto bad = [&](const std::string& why) { return util::fail(util::ErrorKind::invalid_argument, where + why); };
  if (!e.is_object()) return bad(": expected an object");
  SandboxNarrowing n;
  for (const auto& [key, value] : e.items()) {
    if (key == "id" || key == "address" || key == "label") {
      if (!value.is_string()) return bad("." + key + ": expected a string");
    } else if (key == "owner_pid" || key == "created") {
      if (!value.is_number_integer()) return bad("." + key + ": expected an integer");
    } else if (key != "hosts") {
      return bad(": unknown key '" + key + "'");
    }
  }
  n.id = e.value("id", "");
  n.label = e.value("label", "");
  n.owner_pid = e.value("owner_pid", std::int64_t{0});
  n.created = e.value("created", std::int64_t{0});
  if (n.id.empty()) return bad(".id: missing");
  n.address = canonical_ipv4(e.value("address", ""));
  if (n.address.empty()) return bad(".address: expected an IPv4 address");
  if (!e.contains("hosts") || !e["hosts"].is_array() || e["hosts"].empty())
    return bad(".hosts: expected a non-empty list of host names");
  for (const auto& h : e["hosts"]) {
    if (!h.is_string() || h.get<std::string>().empty()) return bad(".hosts: expected host names");
    n.hosts.push_back(h.get<std::string>());
  }
  return n;
}

}  // namespace

std::string canonical_ipv4(const std::string& text) {
  in_addr a{};
  if (text.empty() || ::inet_pton(AF_INET, text.c_str(), &a) != 1) return {};
  char buf[INET_ADDRSTRLEN];
  if (::inet_ntop(AF_INET, &a, buf, sizeof buf) == nullptr) return {};
  // inet_pton accepts only dotted quads already; the round trip refuses
  // leading zeros, so one address has one spelling in the file.
  return buf == text ? text : std::string();
}

util::Result<std::vector<SandboxNarrowing>> parse_narrowings(const std::string& text,
                                                             const std::string& source) {
  json doc = json::parse(text, nullptr, false);
  auto bad = [&](const std::string& why) { return util::fail(util::ErrorKind::invalid_argument, source + ": " + why); };
  if (doc.is_discarded()) return bad("not valid JSON");
  if (!doc.is_object() || doc.value("version", 0) != 1) return bad("expected {\"version\": 1, \"sandboxes\": [...]}");
  if (!doc.contains("sandboxes") || !doc["sandboxes"].is_array()) return bad("sandboxes: expected a list");
  std::vector<SandboxNarrowing> out;
  std::set<std::string> addresses;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < doc["sandboxes"].size(); ++i) {
    const std::string where = source + ": sandboxes[" + std::to_string(i) + "]";
    SR_ASSIGN(auto n, parse_entry(doc["sandboxes"][i], where));
    if (!addresses.insert(n.address).second)
      return util::fail(util::ErrorKind::invalid_argument, where + ".address: " + n.address + " is listed twice");
    if (!ids.insert(n.id).second)
      return util::fail(util::ErrorKind::invalid_argument, where + ".id: " + n.id + " is listed twice");
    out.push_back(std::move(n));
  }
  return out;
}

util::Result<std::vector<SandboxNarrowing>> load_narrowings(const std::filesystem::path& path) {
  auto text = util::read_file_nofollow(path);
  if (!text && text.error().kind == util::ErrorKind::not_found) return std::vector<SandboxNarrowing>{};
  if (!text) return std::unexpected(std::move(text.error()).context("reading " + path.string()));
  return parse_narrowings(*text, path.string());
}

std::string render_narrowings(const std::vector<SandboxNarrowing>& entries) {
  json list = json::array();
  for (const auto& n : entries)
    list.push_back({{"id", n.id},
                    {"address", n.address},
                    {"label", n.label},
                    {"hosts", n.hosts},
                    {"owner_pid", n.owner_pid},
                    {"created", n.created}});
  return json{{"version", 1}, {"sandboxes", list}}.dump(2) + "\n";
}

}  // namespace sr::proxyconf
