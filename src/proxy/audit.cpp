#include "proxy/audit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

#include "proxy/secrets.hpp"

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
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
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

std::string AuditLog::format(const AuditRecord& r, const SecretSet* redactor) {
  auto clean = [&](std::string_view s) { return redactor ? redactor->redact(s) : std::string(s); };
  double duration_ms = std::chrono::duration<double, std::milli>(r.duration).count();
  // Built member by member with moves (an initializer list would copy every
  // value twice); the keys fit the small-string buffer.
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  auto& fields = j.get_ref<nlohmann::ordered_json::object_t&>();
  fields.reserve(12);
  fields.emplace_back("time", format_time(r.time));
  fields.emplace_back("client", clean(r.client));
  fields.emplace_back("method", clean(r.method));
  fields.emplace_back("host", clean(r.host));
  // Redact before stripping (a value spanning '=' or '&' goes whole) and
  // again after it: dropping a query value can splice a secret together
  // ("?k=sk-x/=B&" -> "?k=sk-x/=&" when the secret is "sk-x/=&").
  fields.emplace_back("path", clean(strip_query_values(clean(r.target))));
  fields.emplace_back("status", r.status);
  fields.emplace_back("bytes_in", r.bytes_in);
  fields.emplace_back("bytes_out", r.bytes_out);
  fields.emplace_back("duration_ms",
                      static_cast<double>(static_cast<std::int64_t>(duration_ms * 1000)) / 1000);
  fields.emplace_back("decision", to_string(r.decision));
  fields.emplace_back("reason", clean(r.reason));
  nlohmann::ordered_json secrets = nlohmann::ordered_json::array();
  for (const auto& name : r.secrets_swapped) secrets.push_back(clean(name));
  fields.emplace_back("secrets_swapped", std::move(secrets));
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
