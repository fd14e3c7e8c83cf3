// sandbox-egress audit: tail, grep, stats and export over the engine's audit
// log (the built-in engine's audit.log, or iron-proxy's JSON log lines).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <regex>
#include <thread>

#include "cli/audit_command.hpp"
#include "cli/cli_util.hpp"
#include "egress/audit_query.hpp"
#include "egress/config.hpp"
#include "egress/paths.hpp"
#include "util/fd_io.hpp"
#include "util/unique_fd.hpp"

namespace sr::cli {
namespace {

struct LogView {
  std::vector<egress::AuditEntry> entries;
  std::vector<std::string> lines;  // raw text of each entry, same order
  std::uint64_t unparsed = 0;
};

util::Result<std::string> read_all(const std::filesystem::path& path, off_t& offset) {
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return util::fail_errno("open(" + path.string() + ")");
  if (::lseek(fd.get(), offset, SEEK_SET) < 0) return util::fail_errno("lseek(" + path.string() + ")");
  SR_ASSIGN(std::string out, util::read_to_end(fd.get(), path.string()));
  offset += static_cast<off_t>(out.size());
  return out;
}

// Splits complete lines off `text` (a trailing partial line stays in it).
void ingest(std::string& text, LogView& view) {
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = text.substr(start, nl - start);
    if (line.empty()) continue;
    if (auto e = egress::parse_audit_line(line)) {
      view.entries.push_back(std::move(*e));
      view.lines.push_back(std::move(line));
    } else if (line.find("\"msg\"") == std::string::npos || line.find("request") != std::string::npos) {
      ++view.unparsed;  // engine lifecycle log lines are not audit records
    }
  }
  text.erase(0, start);
}

std::filesystem::path default_log(const egress::Paths& paths) {
  auto config = egress::load_config(paths.config());
  if (config && config->proxy.engine == egress::Engine::iron_proxy) return paths.daemon_log();
  return paths.audit_log();
}

void print_unparsed(std::uint64_t n) {
  if (n) std::fprintf(stderr, "sandbox-egress: warning: %llu line(s) could not be parsed\n",
                      static_cast<unsigned long long>(n));
}

int run_stats(const LogView& v, egress::SysTime since, bool json) {
  auto st = compute_stats(v.entries, since, v.unparsed);
  auto flagged = flagged_hosts(st);
  if (json) {
    nlohmann::json out = {{"total", st.total}, {"unparsed", st.unparsed},
                          {"by_decision", st.by_decision}, {"flagged_hosts", flagged}};
    for (const auto& [host, h] : st.hosts)
      out["hosts"][host] = {{"total", h.total}, {"allowed", h.allowed}, {"rejected", h.rejected},
                            {"errors", h.errors}, {"refusal_rate", h.refusal_rate()},
                            {"first_seen", h.first_seen}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("requests: %llu (unparsed lines: %llu)\n", static_cast<unsigned long long>(st.total),
              static_cast<unsigned long long>(st.unparsed));
  for (const auto& [d, n] : st.by_decision)
    std::printf("  %-8s %llu\n", d.c_str(), static_cast<unsigned long long>(n));
  std::vector<std::pair<std::string, egress::HostStats>> hosts(st.hosts.begin(), st.hosts.end());
  std::sort(hosts.begin(), hosts.end(), [](auto& a, auto& b) { return a.second.total > b.second.total; });
  std::printf("top hosts:\n");
  for (std::size_t i = 0; i < hosts.size() && i < 10; ++i)
    std::printf("  %-40s %6llu requests, %5.1f%% refused%s\n", hosts[i].first.c_str(),
                static_cast<unsigned long long>(hosts[i].second.total),
                hosts[i].second.refusal_rate() * 100, hosts[i].second.first_seen ? ", NEW" : "");
  for (const auto& h : flagged) {
    const auto& s = st.hosts.at(h);
    std::printf("flag: %s: %s\n", h.c_str(),
                s.refusal_rate() > 0.05 ? "refusal rate above 5%" : "contacted for the first time");
  }
  return 0;
}

}  // namespace

int cmd_audit(std::span<const std::string> args) {
  CLI::App app{"Query the egress audit log", "audit"};
  app.require_subcommand(1);
  std::string file, since_text, pattern, format = "json";
  std::size_t count = 20;
  bool follow = false, json = false;
  app.add_option("--file", file, "Audit log to read (default: the engine's log in the state dir)");
  app.add_option("--since", since_text, "Only entries newer than 30m, 2h, 7d or an ISO date");
  auto* tail = app.add_subcommand("tail", "Print the last entries");
  tail->add_option("-n", count, "How many entries (default 20)");
  tail->add_flag("-f,--follow", follow, "Keep printing new entries");
  auto* grep = app.add_subcommand("grep", "Print entries whose line matches a regular expression");
  grep->add_option("pattern", pattern, "ECMAScript regular expression")->required();
  auto* stats = app.add_subcommand("stats", "Totals, decisions, top hosts, refusal rates");
  stats->add_flag("--json", json, "Machine-readable output");
  auto* exp = app.add_subcommand("export", "Export entries");
  exp->add_option("--format", format, "json (JSON lines) or csv")->check(CLI::IsMember({"json", "csv"}));
  for (auto* sub : {tail, grep, stats, exp}) sub->fallthrough();
  if (auto rc = cli::parse(app, args)) return *rc;

  const auto now = std::chrono::system_clock::now();
  egress::SysTime since{};
  if (!since_text.empty()) {
    auto s = egress::parse_since(since_text, now);
    if (!s) {
      cli::error(s.error());
      return 2;
    }
    since = *s;
  }
  const egress::Paths paths = egress::Paths::from_environment();
  if (file.empty() && !paths.set_up()) return cli::error(paths.not_set_up() + "; there is no audit log yet");
  const std::filesystem::path path = file.empty() ? default_log(paths) : std::filesystem::path(file);
  off_t offset = 0;
  auto text = read_all(path, offset);
  if (!text) return cli::error(text.error().context("reading the audit log"));
  LogView view;
  ingest(*text, view);

  if (stats->parsed()) return run_stats(view, since, json);
  std::regex re;
  if (grep->parsed()) {
    try {
      re = std::regex(pattern);
    } catch (const std::regex_error& e) {
      cli::error("grep: invalid pattern '" + pattern + "': " + e.what());
      return 2;
    }
  }
  std::vector<std::size_t> picked;
  for (std::size_t i = 0; i < view.entries.size(); ++i)
    if (view.entries[i].time >= since && (!grep->parsed() || std::regex_search(view.lines[i], re)))
      picked.push_back(i);
  if (tail->parsed() && picked.size() > count) picked.erase(picked.begin(), picked.end() - count);
  if (exp->parsed() && format == "csv") std::printf("%s\n", egress::to_csv_header().c_str());
  for (auto i : picked)
    std::printf("%s\n", exp->parsed() && format == "csv" ? to_csv_row(view.entries[i]).c_str()
                                                         : view.lines[i].c_str());
  std::fflush(stdout);
  print_unparsed(view.unparsed);
  while (follow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto more = read_all(path, offset);
    if (!more) return cli::error(more.error().context("following the audit log"));
    *text += *more;
    LogView fresh;
    ingest(*text, fresh);
    for (const auto& line : fresh.lines) std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace sr::cli
