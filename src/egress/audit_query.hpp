// Reading the engine's audit log: the built-in engine's JSON lines and
// iron-proxy's `"msg":"request"` log lines, normalised to one record.
// Pure logic; cli/cmd_audit.cpp is the command around it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace sr::egress {

using SysTime = std::chrono::system_clock::time_point;

struct AuditEntry {
  SysTime time{};
  std::string client, method, host, path, decision, reason;
  int status = 0;
  double duration_ms = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::vector<std::string> secrets_swapped;
  nlohmann::json raw;  // the original object, for export
};

// nullopt for a line that is neither format (it is counted, not dropped silently).
std::optional<AuditEntry> parse_audit_line(std::string_view line);

// "30m", "2h", "7d", "45s", or an ISO date/time ("2026-11-28", "2026-11-28T10:00:00Z").
util::Result<SysTime> parse_since(std::string_view text, SysTime now);

// RFC 3339 UTC ("2026-11-28T10:00:00.123Z" and without fraction) -> time.
std::optional<SysTime> parse_rfc3339(std::string_view text);

struct HostStats {
  std::uint64_t total = 0, allowed = 0, rejected = 0, errors = 0;
  bool first_seen = false;  // first contacted inside the window
  [[nodiscard]] double refusal_rate() const {
    return total ? static_cast<double>(rejected) / static_cast<double>(total) : 0.0;
  }
};

struct AuditStats {
  std::uint64_t total = 0, unparsed = 0;
  std::map<std::string, std::uint64_t> by_decision;
  std::map<std::string, HostStats> hosts;
};

// `all` is every parsed entry of the log (to tell first contacts);
// `since` is the window start.
AuditStats compute_stats(const std::vector<AuditEntry>& all, SysTime since,
                         std::uint64_t unparsed);

// Hosts to flag: first contacted in the window, or refusal rate above 5%.
std::vector<std::string> flagged_hosts(const AuditStats& stats);

std::string to_csv_header();
std::string to_csv_row(const AuditEntry& e);

}  // namespace sr::egress
