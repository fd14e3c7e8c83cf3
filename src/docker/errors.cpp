#include "docker/errors.hpp"

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace sr::docker {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string daemon_message(std::string_view body) {
  body = trim(body);
  if (body.empty()) return {};
  // The daemon answers errors with {"message": "..."}; proxies in front of it
  // may answer with plain text or HTML, which we pass through trimmed.
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    if (auto it = parsed.find("message"); it != parsed.end() && it->is_string())
      return it->get<std::string>();
  }
  return std::string(body);
}

std::string_view reason_phrase(long status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

util::ErrorKind kind_from_status(long status) {
  switch (status) {
    case 401:
    case 403: return util::ErrorKind::permission_denied;
    case 404: return util::ErrorKind::not_found;
    case 409: return util::ErrorKind::conflict;
    default: return util::ErrorKind::api;
  }
}

util::Error api_error(std::string_view method, std::string_view path, long status,
                      std::string_view body) {
  std::string msg(method);
  msg += ' ';
  msg += path.substr(0, path.find('?'));
  msg += ": ";
  msg += std::to_string(status);
  if (auto reason = reason_phrase(status); !reason.empty()) {
    msg += ' ';
    msg += reason;
  }
  if (auto text = daemon_message(body); !text.empty()) {
    msg += ": ";
    msg += text;
  }
  return util::Error{kind_from_status(status), std::move(msg), 0};
}

util::Error connect_error(std::string_view host_spec, int err, std::string_view detail) {
  if (err == EACCES || err == EPERM)
    return util::Error{util::ErrorKind::permission_denied,
                       "permission denied while trying to connect to the Docker daemon at " + std::string(host_spec) +
                           ": check the socket's permissions (is your user in the docker group?) or DOCKER_HOST",
                       err};
  std::string cause = err != 0 ? std::strerror(err) : std::string(detail);
  return util::Error{util::ErrorKind::connect,
                     "cannot connect to the Docker daemon at " + std::string(host_spec) + ": " + cause +
                         ": is dockerd running, and does DOCKER_HOST point at it?",
                     err};
}

util::Result<void> expect_status(const Response& r, std::string_view method, std::string_view path,
                                 std::initializer_list<long> ok) {
  for (long s : ok)
    if (r.status == s) return {};
  return std::unexpected(api_error(method, path, r.status, r.body));
}

util::Result<nlohmann::json> parse_json(const Response& r, std::string_view method, std::string_view path) {
  auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return util::fail(util::ErrorKind::api,
                      std::string(method) + " " + std::string(path) + ": malformed JSON in the daemon's answer");
  return j;
}

}  // namespace sr::docker
