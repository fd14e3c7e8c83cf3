#include "proxy/admin/audit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "proxy/policy/secrets.hpp"

namespace sr::proxy {

std::string strip_query_values(std::string_view target) {
  auto hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (true) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    auto eq = pair.find('=');
    out += pair.substr(0, eq);
    if (eq != std::string_view::npos) out += '=';
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string format_time(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  if (secs > t) secs -= std::chrono::seconds(1);  // floor for times before the epoch
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  // The calendar part changes once a second: kept per thread.
  thread_local std::chrono::sys_seconds cached_secs{std::chrono::seconds::min()};
  thread_local char cached[32];
  thread_local std::size_t cached_len = 0;
  if (secs != cached_secs) {
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    cached_len = std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_secs = secs;
  }
  std::string out(cached, cached_len);
  fmt::format_to(std::back_inserter(out), ".{:03}Z", static_cast<int>(ms));
  return out;
}

util::Result<std::unique_ptr<AuditLog>> AuditLog::open_file(const std::filesystem::path& path) {
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == ELOOP)
      return util::fail(util::ErrorKind::security,
                        "opening audit log " + path.string() + ": it is a symlink (refusing to follow it)");
    return util::fail_errno("opening audit log " + path.string());
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return util::fail_errno("stat audit log " + path.string());
  if (!S_ISREG(st.st_mode))
    return util::fail(util::ErrorKind::security, "audit log " + path.string() + " is not a regular file");
  if (st.st_uid != ::geteuid())
    return util::fail(util::ErrorKind::security, "audit log " + path.string() + " is owned by uid " +
                                                     std::to_string(st.st_uid) + ", not by this user");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return util::fail(util::ErrorKind::security, "audit log " + path.string() + " has mode " + mode +
                                                     ", expected 0600 (fix: chmod 600 " + path.string() + ")");
  }
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(fd)));
}

util::Result<std::unique_ptr<AuditLog>> AuditLog::to_stderr() {
  util::UniqueFd fd(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3));
  if (!fd) return util::fail_errno("duplicating stderr for the audit log");
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(fd)));
}

namespace {

// Appends `s` as a JSON string. Printable ASCII other than '"' and '\\' is
// what every JSON serialiser emits unchanged, and it is what audit fields
// almost always hold; anything else (escapes, control characters, UTF-8,
// invalid UTF-8 replaced) is serialised by nlohmann::json.
void append_string(std::string& out, std::string_view s) {
  bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  append_string(out, value);
}

void append_field(std::string& out, std::string_view key, std::uint64_t value) {
  out += key;
  fmt::format_to(std::back_inserter(out), "{}", value);
}

}  // namespace

// The line is assembled field by field (the order is the documented one);
// building an nlohmann object first cost more than the rest of the request's
// bookkeeping (a map of 12 allocated members, then a character-by-character
// UTF-8 pass over every value).
std::string AuditLog::format(const AuditRecord& r, const SecretSet* redactor) {
  auto clean = [&](std::string_view s) { return redactor ? redactor->redact(s) : std::string(s); };
  double duration_ms = std::chrono::duration<double, std::milli>(r.duration).count();
  std::string out;
  out.reserve(256 + r.target.size() + r.reason.size());
  append_field(out, R"({"time":)", format_time(r.time));
  append_field(out, R"(,"client":)", clean(r.client));
  append_field(out, R"(,"method":)", clean(r.method));
  append_field(out, R"(,"host":)", clean(r.host));
  // Redact before stripping (a value spanning '=' or '&' goes whole) and
  // again after it: dropping a query value can splice a secret together
  // ("?k=sk-x/=B&" -> "?k=sk-x/=&" when the secret is "sk-x/=&").
  append_field(out, R"(,"path":)", clean(strip_query_values(clean(r.target))));
  append_field(out, R"(,"status":)", std::uint64_t{r.status});
  append_field(out, R"(,"bytes_in":)", r.bytes_in);
  append_field(out, R"(,"bytes_out":)", r.bytes_out);
  // Milliseconds to 3 decimals, printed as nlohmann::json prints a double
  // (shortest form that reads back, "3.0" for a whole number).
  out += R"(,"duration_ms":)";
  auto at = out.size();
  fmt::format_to(std::back_inserter(out), "{}",
                 static_cast<double>(static_cast<std::int64_t>(duration_ms * 1000)) / 1000);
  if (out.find_first_of(".eE", at) == std::string::npos) out += ".0";
  append_field(out, R"(,"decision":)", to_string(r.decision));
  append_field(out, R"(,"reason":)", clean(r.reason));
  out += R"(,"secrets_swapped":[)";
  for (std::size_t i = 0; i < r.secrets_swapped.size(); ++i) {
    if (i) out += ',';
    append_string(out, clean(r.secrets_swapped[i]));
  }
  out += ']';
  if (!r.original_dst.empty()) append_field(out, R"(,"original_dst":)", clean(r.original_dst));
  if (!r.narrowing.empty()) append_field(out, R"(,"narrowing":)", clean(r.narrowing));
  out += '}';
  return out;
}

namespace {
constexpr std::size_t kBatchLimit = 64 * 1024;
}  // namespace

AuditLog::~AuditLog() { flush(); }

void AuditLog::set_scheduler(Scheduler scheduler) {
  flush();
  std::lock_guard lock(mu_);
  scheduler_ = std::move(scheduler);
}

void AuditLog::write(const AuditRecord& record, const SecretSet* redactor) noexcept {
  std::string line;
  try {
    line = format(record, redactor);
    line += '\n';
  } catch (...) {
    std::lock_guard lock(mu_);
    ++failures_;
    return;
  }
  std::unique_lock lock(mu_);
  if (!scheduler_) {
    write_locked(line);
    return;
  }
  try {
    pending_ += line;
  } catch (...) {
    write_locked(pending_);
    pending_.clear();
    write_locked(line);
    return;
  }
  if (pending_.size() >= kBatchLimit) {
    write_locked(pending_);
    pending_.clear();
    return;
  }
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // Not under the lock: the scheduler may run the flush inline.
  Scheduler scheduler = scheduler_;
  lock.unlock();
  bool taken = false;
  try {
    taken = scheduler([this] { flush(); });
  } catch (...) {
  }
  if (!taken) flush();
}

void AuditLog::flush() noexcept {
  std::lock_guard lock(mu_);
  flush_scheduled_ = false;
  if (pending_.empty()) return;
  write_locked(pending_);
  pending_.clear();
}

void AuditLog::write_locked(std::string_view data) noexcept {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ++failures_;
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

std::uint64_t AuditLog::write_failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace sr::proxy
