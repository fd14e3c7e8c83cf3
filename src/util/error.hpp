// Error values returned across module boundaries.
//
// Contract: an Error carries a kind that callers branch on and a message that
// reads as a chain of intent, outermost first, e.g.
//   "starting daemon: writing pidfile /x/daemon.pid: File exists".
// The callee reports the operation and object; each caller prepends what it
// was doing with context().
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace sr::util {

enum class ErrorKind {
  generic,
  invalid_argument,   // bad user input (flag, value, file content)
  io,                 // a system call failed
  connect,            // could not reach a peer (socket, daemon)
  permission_denied,  // EACCES/EPERM or HTTP 401/403 from a daemon
  not_found,          // ENOENT or HTTP 404
  conflict,           // EEXIST or HTTP 409
  api,                // a peer answered with an error we do not classify further
  timeout,
  security,           // refused because following it would be unsafe (symlink, owner, mode)
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::generic;
  std::string message;
  int sys_errno = 0;  // the errno behind an io error, 0 otherwise

  // Returns a copy whose message is "<what>: <message>".
  [[nodiscard]] Error context(std::string_view what) const&;
  [[nodiscard]] Error context(std::string_view what) &&;
};

template <class T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected(Error{kind, std::move(message), 0});
}

// "<operation>: <strerror(err)>", with the kind derived from err.
std::unexpected<Error> fail_errno(std::string_view operation, int err = errno);

ErrorKind kind_from_errno(int err);

// Adds context to the error of a Result, passing values through.
template <class T>
Result<T> with_context(Result<T> r, std::string_view what) {
  if (!r) return std::unexpected(std::move(r.error()).context(what));
  return r;
}

}  // namespace sr::util

// Evaluates a Result expression; on error returns it from the enclosing
// function (whose return type must be constructible from std::unexpected<Error>).
#define SR_TRY(expr)                                               \
  do {                                                             \
    if (auto sr_try_result_ = (expr); !sr_try_result_)             \
      return std::unexpected(std::move(sr_try_result_.error()));   \
  } while (0)

// Like SR_TRY but binds the value: SR_ASSIGN(auto fd, open_file(...));
#define SR_CONCAT_INNER_(a, b) a##b
#define SR_CONCAT_(a, b) SR_CONCAT_INNER_(a, b)
#define SR_ASSIGN(lhs, expr) SR_ASSIGN_IMPL_(SR_CONCAT_(sr_assign_, __LINE__), lhs, expr)
#define SR_ASSIGN_IMPL_(tmp, lhs, expr)                         \
  auto tmp = (expr);                                            \
  if (!tmp) return std::unexpected(std::move(tmp.error()));     \
  lhs = std::move(*tmp)
