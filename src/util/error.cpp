#include "util/error.hpp"

#include <cstring>

namespace sr::util {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::generic: return "error";
    case ErrorKind::invalid_argument: return "invalid_argument";
    case ErrorKind::io: return "io";
    case ErrorKind::connect: return "connect";
    case ErrorKind::permission_denied: return "permission_denied";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::api: return "api";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::security: return "security";
  }
  return "error";
}

Error Error::context(std::string_view what) const& {
  Error e = *this;
  e.message = std::string(what) + ": " + e.message;
  return e;
}

Error Error::context(std::string_view what) && {
  message.insert(0, std::string(what) + ": ");
  return std::move(*this);
}

ErrorKind kind_from_errno(int err) {
  switch (err) {
    case ENOENT: return ErrorKind::not_found;
    case EACCES:
    case EPERM: return ErrorKind::permission_denied;
    case EEXIST: return ErrorKind::conflict;
    case ELOOP: return ErrorKind::security;
    case ETIMEDOUT: return ErrorKind::timeout;
    case ECONNREFUSED:
    case ENETUNREACH:
    case EHOSTUNREACH: return ErrorKind::connect;
    default: return ErrorKind::io;
  }
}

std::unexpected<Error> fail_errno(std::string_view operation, int err) {
  std::string msg(operation);
  msg += ": ";
  msg += std::strerror(err);
  return std::unexpected(Error{kind_from_errno(err), std::move(msg), err});
}

}  // namespace sr::util
