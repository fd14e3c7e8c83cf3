// The audit log: one JSON object per request, one line each.
//
//   {"time":"2026-01-02T03:04:05.678Z","client":"172.17.0.2:40000","method":"POST",
//    "host":"api.openai.com","path":"/v1/chat?key=&a=","status":200,"bytes_in":123,
//    "bytes_out":4567,"duration_ms":12.5,"decision":"allow","reason":"",
//    "secrets_swapped":["OPENAI_API_KEY"]}
//
// A request on an intercepted connection also carries
// "original_dst":"203.0.113.7:443", the destination the sandbox dialled.
//
// Never a token or a secret value: query VALUES are dropped from the path,
// and when a SecretSet is given every string field is passed through
// SecretSet::redact() (so a token in a path segment, a query key, a method or
// a host becomes "[proxy-token:ENV]"). Invalid UTF-8 is replaced, never fatal.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/policy/decision.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace sr::proxy {

class SecretSet;

struct AuditRecord {
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  std::string client;  // "ip:port" of the sandbox side
  std::string method;
  std::string host;    // destination host (normalised)
  std::string target;  // request target as received; audit strips query values
  unsigned status = 0; // status sent to the client (0 = none was sent)
  std::uint64_t bytes_in = 0;   // request body bytes from the client
  std::uint64_t bytes_out = 0;  // response body bytes to the client
  std::chrono::nanoseconds duration{0};
  Decision decision = Decision::allow;
  std::string reason;
  std::vector<std::string> secrets_swapped;  // env var names
  // Intercepted connections only: the "ip:port" the sandbox dialled before
  // the firewall redirected it (written only when set).
  std::string original_dst;
  // A narrowed sandbox: its narrowing's label ("profile docs"), written
  // only when set, on every line of that sandbox, allowed or refused.
  std::string narrowing;
};

// "/v1/x?key=abc&a=1&flag" -> "/v1/x?key=&a=&flag". An absolute-form target
// keeps scheme and authority ("http://h/p?x=" ...); a fragment is dropped.
std::string strip_query_values(std::string_view target);

// RFC 3339 UTC with milliseconds: "2026-01-02T03:04:05.678Z".
std::string format_time(std::chrono::system_clock::time_point t);

class AuditLog {
 public:
  // Opens (creating 0600 when absent) `path` with
  // O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_CLOEXEC, then checks that it is a
  // regular file owned by the effective uid with no group/other permission
  // bits: a symlink, a foreign owner or a wider mode is a security error that
  // names the path and the fix.
  static util::Result<std::unique_ptr<AuditLog>> open_file(const std::filesystem::path& path);
  // Writes to a dup of stderr.
  static util::Result<std::unique_ptr<AuditLog>> to_stderr();

  // The JSON line (without the newline) for `record`.
  static std::string format(const AuditRecord& record, const SecretSet* redactor = nullptr);

  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one line. Without a scheduler it is written at once with a single
  // write(2) (looping only on a short write, under the lock). Never throws; a
  // failed write is counted, not fatal.
  void write(const AuditRecord& record, const SecretSet* redactor = nullptr) noexcept;

  // Batching: with a scheduler set, lines are gathered and the first line of
  // a batch hands `flush` to the scheduler, which runs it soon (the engine
  // posts it to the calling event loop, so it runs as soon as the handlers
  // already queued there are done: lines land within microseconds, one
  // write(2) per batch instead of one per request). The scheduler returns
  // false when it cannot take it; the batch is then written at once, as it is
  // when it reaches 64 KiB. Lines are never reordered.
  using Scheduler = std::function<bool(std::function<void()>)>;
  void set_scheduler(Scheduler scheduler);
  // Writes whatever is gathered (also run at shutdown and by the destructor).
  void flush() noexcept;

  [[nodiscard]] std::uint64_t write_failures() const;

 private:
  explicit AuditLog(util::UniqueFd fd) : fd_(std::move(fd)) {}
  void write_locked(std::string_view data) noexcept;

  util::UniqueFd fd_;
  mutable std::mutex mu_;
  std::uint64_t failures_ = 0;
  Scheduler scheduler_;
  std::string pending_;
  bool flush_scheduled_ = false;
};

}  // namespace sr::proxy
