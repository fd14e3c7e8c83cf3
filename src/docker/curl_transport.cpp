// libcurl transport: pooled easy handles for ordinary requests, a dedicated
// CONNECT_ONLY handle per hijacked (attach) connection.
#include <curl/curl.h>

#include <vector>

#include "docker/curl_handle.hpp"
#include "docker/hijack.hpp"
#include "docker/plain_transport.hpp"
#include "docker/transport.hpp"

namespace sr::docker {

namespace {

using detail::CurlEasy;
using detail::CurlSlist;
using detail::curl;

struct TransferState {
  CURL* handle = nullptr;
  const RequestHooks* hooks = nullptr;
  Response* response = nullptr;
  bool head_done = false;
  bool aborted_by_sink = false;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  size_t len = size * n;
  // The blank line ends a response head; interim 1xx heads are skipped.
  if (len <= 2 && !st->head_done) {
    long status = 0;
    curl().easy_getinfo(st->handle, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) {
      st->head_done = true;
      st->response->status = status;
      if (st->hooks->cancel != nullptr) {
        curl_socket_t fd = CURL_SOCKET_BAD;
        curl().easy_getinfo(st->handle, CURLINFO_ACTIVESOCKET, &fd);
        if (!st->hooks->cancel->arm(static_cast<int>(fd))) return 0;
      }
      if (st->hooks->on_headers) st->hooks->on_headers(status);
    }
  }
  if (len > 2 && !st->head_done) {
    // curl hands over one header line per call: "Name: value\r\n". A status
    // line has no colon before its first space and is skipped.
    std::string_view line(data, len);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && line.substr(0, colon).find(' ') == std::string_view::npos) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      st->response->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    } else if (line.starts_with("HTTP/")) {
      st->response->headers.clear();  // a new (possibly final) response head
    }
  }
  return len;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  size_t len = size * n;
  bool ok_status = st->response->status >= 200 && st->response->status < 300;
  if (ok_status && st->hooks->on_data) {
    if (!st->hooks->on_data(std::string_view(data, len))) {
      st->aborted_by_sink = true;
      return 0;
    }
    return len;
  }
  st->response->body.append(data, len);
  return len;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(Endpoint ep) : ep_(std::move(ep)) {}

  util::Result<Response> perform(const Request& req, const RequestHooks& hooks) override {
    SR_ASSIGN(CurlEasy h, acquire());
    auto result = run(h.get(), req, hooks);
    release(std::move(h));
    return result;
  }

  util::Result<Hijacked> hijack(const Request& req) override {
    SR_ASSIGN(CurlEasy h, detail::new_easy());
    return detail::hijack_connection(std::move(h), ep_, req);
  }

  [[nodiscard]] std::string describe() const override { return ep_.host_spec; }

 private:
  util::Result<Response> run(CURL* h, const Request& req, const RequestHooks& hooks) {
    char errbuf[CURL_ERROR_SIZE];
    detail::apply_endpoint(h, ep_, errbuf);
    std::string url = ep_.base_url + req.target;
    curl().easy_setopt(h, CURLOPT_URL, url.c_str());
    CurlSlist headers;
    detail::append_header(headers, "User-Agent: sandbox-run");
    detail::append_header(headers, "Expect:");
    if (req.method == "GET") {
      curl().easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl().easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (req.method == "POST") {
      curl().easy_setopt(h, CURLOPT_POST, 1L);
      curl().easy_setopt(h, CURLOPT_POSTFIELDS, req.body.c_str());
      curl().easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
      if (!req.body.empty()) detail::append_header(headers, "Content-Type: application/json");
    } else {
      curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    for (const auto& [name, value] : hooks.headers) detail::append_header(headers, (name + ": " + value).c_str());
    curl().easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

    Response response;
    TransferState st{h, &hooks, &response, false, false};
    curl().easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl().easy_setopt(h, CURLOPT_HEADERDATA, &st);
    curl().easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl().easy_setopt(h, CURLOPT_WRITEDATA, &st);
    CURLcode rc = curl().easy_perform(h);
    if (hooks.cancel != nullptr) hooks.cancel->disarm();
    if (rc == CURLE_OK) {
      if (response.status == 0) curl().easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
      return response;
    }
    if (hooks.cancel != nullptr && hooks.cancel->cancelled())
      return util::fail(util::ErrorKind::generic, "cancelled");
    if (st.aborted_by_sink) return util::fail(util::ErrorKind::generic, "aborted by the response reader");
    return std::unexpected(detail::transfer_error(h, rc, errbuf, ep_));
  }

  util::Result<CurlEasy> acquire() {
    {
      std::lock_guard lock(mu_);
      if (!pool_.empty()) {
        CurlEasy h = std::move(pool_.back());
        pool_.pop_back();
        return h;
      }
    }
    return detail::new_easy();
  }

  void release(CurlEasy h) {
    std::lock_guard lock(mu_);
    pool_.push_back(std::move(h));
  }

  Endpoint ep_;
  std::mutex mu_;
  std::vector<CurlEasy> pool_;
};

}  // namespace

util::Result<std::unique_ptr<Transport>> make_curl_transport(const Endpoint& endpoint) {
  SR_TRY(detail::ensure_curl_global());
  return std::unique_ptr<Transport>(std::make_unique<CurlTransport>(endpoint));
}

util::Result<std::unique_ptr<Transport>> make_transport(const Endpoint& endpoint) {
  if (endpoint.tls == TlsMode::off) return make_plain_transport(endpoint);
  return make_curl_transport(endpoint);
}

}  // namespace sr::docker
