#include "egress/audit_query.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace sr::egress {
namespace {

template <class T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

// iron-proxy v0.39: {"time":..., "msg":"request", "audit":{host, method, path,
// remote_addr, action, status_code, duration_ms, ...}}
AuditEntry from_iron_proxy(const nlohmann::json& j) {
  const auto& a = j["audit"];
  AuditEntry e;
  e.client = get_or<std::string>(a, "remote_addr", "");
  e.method = get_or<std::string>(a, "method", "");
  e.host = get_or<std::string>(a, "host", "");
  e.path = get_or<std::string>(a, "path", "");
  e.decision = get_or<std::string>(a, "action", "");
  e.status = get_or<int>(a, "status_code", 0);
  e.duration_ms = get_or<double>(a, "duration_ms", 0);
  return e;
}

AuditEntry from_builtin(const nlohmann::json& j) {
  AuditEntry e;
  e.client = get_or<std::string>(j, "client", "");
  e.method = get_or<std::string>(j, "method", "");
  e.host = get_or<std::string>(j, "host", "");
  e.path = get_or<std::string>(j, "path", "");
  e.decision = get_or<std::string>(j, "decision", "");
  e.reason = get_or<std::string>(j, "reason", "");
  e.status = get_or<int>(j, "status", 0);
  e.duration_ms = get_or<double>(j, "duration_ms", 0);
  e.bytes_in = get_or<std::uint64_t>(j, "bytes_in", 0);
  e.bytes_out = get_or<std::uint64_t>(j, "bytes_out", 0);
  e.secrets_swapped = get_or<std::vector<std::string>>(j, "secrets_swapped", {});
  return e;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

bool parse_int(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

std::optional<SysTime> parse_rfc3339(std::string_view t) {
  if (t.size() < 10) return std::nullopt;
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (!parse_int(t.substr(0, 4), y) || t[4] != '-' || !parse_int(t.substr(5, 2), mo) ||
      t[7] != '-' || !parse_int(t.substr(8, 2), d))
    return std::nullopt;
  std::chrono::milliseconds frac{0};
  if (t.size() > 10) {
    if ((t[10] != 'T' && t[10] != ' ') || t.size() < 19 || !parse_int(t.substr(11, 2), h) ||
        !parse_int(t.substr(14, 2), mi) || !parse_int(t.substr(17, 2), s))
      return std::nullopt;
    std::string_view rest = t.substr(19);
    if (!rest.empty() && rest[0] == '.') {
      std::size_t n = 1;
      int ms = 0, digits = 0;
      while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) {
        if (digits < 3) ms = ms * 10 + (rest[n] - '0'), ++digits;
        ++n;
      }
      while (digits++ < 3) ms *= 10;
      frac = std::chrono::milliseconds(ms);
      rest = rest.substr(n);
    }
    if (!rest.empty() && rest != "Z" && rest != "+00:00") return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
  const std::time_t secs = timegm(&tm);
  if (secs == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(secs) + frac;
}

std::optional<AuditEntry> parse_audit_line(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  AuditEntry e;
  if (j.contains("audit") && j["audit"].is_object())
    e = from_iron_proxy(j);
  else if (j.contains("decision"))
    e = from_builtin(j);
  else
    return std::nullopt;
  auto t = parse_rfc3339(get_or<std::string>(j, "time", ""));
  if (!t) return std::nullopt;
  e.time = *t;
  e.raw = std::move(j);
  return e;
}

util::Result<SysTime> parse_since(std::string_view text, SysTime now) {
  using namespace std::chrono;
  if (!text.empty() && std::string_view("smhd").find(text.back()) != std::string_view::npos) {
    int n = 0;
    if (parse_int(text.substr(0, text.size() - 1), n) && n >= 0) {
      switch (text.back()) {
        case 's': return now - seconds(n);
        case 'm': return now - minutes(n);
        case 'h': return now - hours(n);
        default: return now - hours(24) * n;
      }
    }
  }
  if (auto t = parse_rfc3339(text)) return *t;
  return util::fail(util::ErrorKind::invalid_argument,
                    "--since " + std::string(text) +
                        ": expected a duration like 30m, 2h, 7d or an ISO date like 2026-11-28");
}

AuditStats compute_stats(const std::vector<AuditEntry>& all, SysTime since,
                         std::uint64_t unparsed) {
  AuditStats st;
  st.unparsed = unparsed;
  std::map<std::string, SysTime> first;
  for (const auto& e : all) {
    auto [it, inserted] = first.emplace(e.host, e.time);
    if (!inserted) it->second = std::min(it->second, e.time);
  }
  for (const auto& e : all) {
    if (e.time < since) continue;
    ++st.total;
    ++st.by_decision[e.decision];
    auto& h = st.hosts[e.host];
    ++h.total;
    if (e.decision == "allow") ++h.allowed;
    else if (e.decision == "reject") ++h.rejected;
    else ++h.errors;
    h.first_seen = first[e.host] >= since;
  }
  return st;
}

std::vector<std::string> flagged_hosts(const AuditStats& stats) {
  std::vector<std::string> out;
  for (const auto& [host, h] : stats.hosts)
    if (h.first_seen || h.refusal_rate() > 0.05) out.push_back(host);
  return out;
}

std::string to_csv_header() {
  return "time,client,method,host,path,status,decision,reason,duration_ms,bytes_in,bytes_out,"
         "secrets_swapped";
}

std::string to_csv_row(const AuditEntry& e) {
  std::string secrets;
  for (const auto& s : e.secrets_swapped) secrets += (secrets.empty() ? "" : ";") + s;
  return csv_field(e.raw.value("time", "")) + "," + csv_field(e.client) + "," +
         csv_field(e.method) + "," + csv_field(e.host) + "," + csv_field(e.path) + "," +
         std::to_string(e.status) + "," + csv_field(e.decision) + "," + csv_field(e.reason) +
         "," + std::to_string(e.duration_ms) + "," + std::to_string(e.bytes_in) + "," +
         std::to_string(e.bytes_out) + "," + csv_field(secrets);
}

}  // namespace sr::egress
