#include "daemon/reload_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "daemon/daemon_probe.hpp"
#include "daemon/daemon_state.hpp"
#include "daemon/pidfile.hpp"
#include "proxyconf/proxy_config.hpp"

namespace sr::daemon {
namespace {

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// The engine's reason from a JSON error body ({"error": "..."}), else the body.
std::string reason_of(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) return doc["error"].get<std::string>();
  return body.empty() ? "(no reason given)" : body;
}

}  // namespace

util::Result<HttpReply> post_reload(const std::string& url, const std::string& key) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return util::fail(util::ErrorKind::io, "curl_easy_init failed");
  const std::string auth = "Authorization: Bearer " + key;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, auth.c_str()), &curl_slist_free_all);
  HttpReply reply;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");  // never through a caller's HTTP_PROXY
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  if (CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK)
    return util::fail(util::ErrorKind::connect, "POST " + url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

util::Result<void> reload_daemon(const egress::Paths& paths, const egress::Config& config) {
  DaemonState st = inspect_daemon(paths, config);
  if (!st.ours)
    return util::fail(util::ErrorKind::not_found,
                      "the egress daemon is not running (" + st.detail + "); run 'sandbox-egress start'");
  // The engine is the authority on the new file: when it does not parse here,
  // still ask the engine (at the conventional tunnel_port+2 address) so the
  // user gets its 422 reason and the running rules stay as they are.
  std::string listen = "127.0.0.1:" + std::to_string(config.proxy.tunnel_port + 2);
  std::string local_problem;
  if (auto pc = proxyconf::load(paths.proxy_yaml())) {
    if (pc->management_listen.empty())
      return util::fail(util::ErrorKind::invalid_argument,
                        "no management listener is configured in " + paths.proxy_yaml().string() +
                            " (management.listen); run 'sandbox-egress setup' then 'sandbox-egress restart'");
    listen = pc->management_listen;
  } else {
    local_problem = " (note: " + pc.error().message + ")";
  }
  SR_ASSIGN(HostPort mgmt, util::with_context(dial_address(listen), "management.listen"));
  SR_ASSIGN(std::string key, util::with_context(read_private_file(paths.management_token()),
                                                "reading the management token"));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  const std::string url = "http://" + util::format_host_port(mgmt.host, mgmt.port) + "/v1/reload";
  auto reply = post_reload(url, key);
  if (!reply)
    return util::fail(util::ErrorKind::connect, "the management listener is unreachable: " + reply.error().message +
                                                    "; is the daemon healthy? try 'sandbox-egress restart'" + local_problem);
  switch (reply->status) {
    case 200: return {};
    case 401:
      return util::fail(util::ErrorKind::permission_denied,
                        "the daemon rejected the management key (401 unauthorized): it was started with another "
                        "key; run 'sandbox-egress restart'");
    case 422:
      return util::fail(util::ErrorKind::api, "the daemon rejected the new configuration (422): " +
                                                  reason_of(reply->body) + "; the running rules are unchanged");
    default:
      return util::fail(util::ErrorKind::api, "POST " + url + ": HTTP " + std::to_string(reply->status) + ": " +
                                                  reason_of(reply->body));
  }
}

}  // namespace sr::daemon
