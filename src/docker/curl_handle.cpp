#include "docker/curl_handle.hpp"

#include "docker/errors.hpp"

#include <cerrno>
#include <cstring>

namespace sr::docker::detail {

util::Result<void> ensure_curl_global() {
  SR_TRY(load_curl());
  return {};
}

util::Result<CurlEasy> new_easy() {
  CurlEasy h(curl().easy_init());
  if (!h) return util::fail(util::ErrorKind::generic, "curl_easy_init failed");
  return h;
}

void append_header(CurlSlist& list, const char* header) {
  curl_slist* next = curl().slist_append(list.get(), header);
  if (next != nullptr) {
    (void)list.release();
    list.reset(next);
  }
}

void apply_endpoint(CURL* h, const Endpoint& ep, char* error_buffer) {
  curl().easy_reset(h);
  curl().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl().easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  error_buffer[0] = '\0';
  if (!ep.unix_socket.empty()) curl().easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, ep.unix_socket.c_str());
  if (ep.tls == TlsMode::off) return;
  if (!ep.tls_files.ca.empty()) curl().easy_setopt(h, CURLOPT_CAINFO, ep.tls_files.ca.c_str());
  if (!ep.tls_files.cert.empty()) curl().easy_setopt(h, CURLOPT_SSLCERT, ep.tls_files.cert.c_str());
  if (!ep.tls_files.key.empty()) curl().easy_setopt(h, CURLOPT_SSLKEY, ep.tls_files.key.c_str());
  long verify = ep.tls == TlsMode::verify ? 1L : 0L;
  curl().easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify);
  curl().easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify * 2L);
}

util::Error transfer_error(CURL* h, CURLcode code, const char* error_buffer, const Endpoint& ep) {
  long os_errno = 0;
  curl().easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl().easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return connect_error(ep.host_spec, static_cast<int>(os_errno), detail);
    case CURLE_OPERATION_TIMEDOUT:
      return util::Error{util::ErrorKind::timeout, "talking to the Docker daemon at " + ep.host_spec + ": " + detail, 0};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return util::Error{util::ErrorKind::connect,
                         "TLS with the Docker daemon at " + ep.host_spec + ": " + detail +
                             " (check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY)",
                         0};
    default:
      return util::Error{util::ErrorKind::io, "talking to the Docker daemon at " + ep.host_spec + ": " + detail,
                         static_cast<int>(os_errno)};
  }
}

}  // namespace sr::docker::detail
