#include "docker/client.hpp"

#include <charconv>

#include "docker/errors.hpp"
#include "docker/host.hpp"
#include "util/url.hpp"

namespace sr::docker {

namespace {

std::string container_path(std::string_view id, std::string_view suffix) {
  std::string p = "/containers/";
  p += url_encode(id);
  p += suffix;
  return p;
}

}  // namespace

std::string url_encode(std::string_view value) { return util::percent_encode(value); }

int compare_api_versions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    (void)ec;
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    if (!s.empty() && s.front() == '.') s.remove_prefix(1);
    return v;
  };
  while (!a.empty() || !b.empty()) {
    unsigned x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

Client::Client(std::unique_ptr<Transport> transport, std::string fixed_api_version)
    : transport_(std::move(transport)), version_(std::move(fixed_api_version)) {}

util::Result<std::unique_ptr<Client>> Client::from_env() {
  SR_ASSIGN(Endpoint ep, endpoint_from_env());
  SR_ASSIGN(auto transport, make_transport(ep));
  return std::make_unique<Client>(std::move(transport), ep.api_version);
}

util::Result<std::string> Client::api_version() {
  std::lock_guard lock(version_mu_);
  if (!version_.empty()) return version_;
  SR_ASSIGN(Response ping, transport_->perform(Request{"GET", "/_ping", {}}));
  std::string daemon = ping.status == 200 ? ping.header("Api-Version") : std::string();
  if (daemon.empty()) {
    SR_ASSIGN(Response r, transport_->perform(Request{"GET", "/version", {}}));
    SR_TRY(expect_status(r, "GET", "/version", {200}));
    SR_ASSIGN(auto j, parse_json(r, "GET", "/version"));
    daemon = j.value("ApiVersion", std::string());
    if (daemon.empty())
      return util::fail(util::ErrorKind::api, "GET /version: the daemon did not report its ApiVersion");
  }
  version_ = compare_api_versions(daemon, kMaxApiVersion) < 0 ? daemon : std::string(kMaxApiVersion);
  return version_;
}

util::Result<std::string> Client::versioned(std::string_view path, std::string_view query) {
  SR_ASSIGN(std::string v, api_version());
  std::string target = "/v" + v;
  target += path;
  if (!query.empty()) {
    target += '?';
    target += query;
  }
  return target;
}

util::Result<Response> Client::call(std::string_view method, std::string_view path, std::string_view query,
                                    std::string body, const RequestHooks& hooks) {
  auto target = versioned(path, query);
  if (!target) return std::unexpected(std::move(target.error()).context(std::string(method) + " " + std::string(path)));
  auto r = transport_->perform(Request{std::string(method), std::move(*target), std::move(body)}, hooks);
  if (!r) return std::unexpected(std::move(r.error()).context(std::string(method) + " " + std::string(path)));
  return r;
}

util::Result<Created> Client::create_container(const nlohmann::json& body, const CreateOptions& opts) {
  std::string query;
  if (!opts.name.empty()) query += "name=" + url_encode(opts.name);
  if (!opts.platform.empty()) query += (query.empty() ? "platform=" : "&platform=") + url_encode(opts.platform);
  const char* path = "/containers/create";
  SR_ASSIGN(Response r, call("POST", path, query, body.dump()));
  SR_TRY(expect_status(r, "POST", path, {201, 200}));
  SR_ASSIGN(auto j, parse_json(r, "POST", path));
  Created out;
  out.id = j.value("Id", std::string());
  if (out.id.empty()) return util::fail(util::ErrorKind::api, "POST /containers/create: no Id in the daemon's answer");
  if (auto w = j.find("Warnings"); w != j.end() && w->is_array())
    for (const auto& item : *w)
      if (item.is_string()) out.warnings.push_back(item.get<std::string>());
  return out;
}

util::Result<void> Client::start_container(std::string_view id) {
  auto path = container_path(id, "/start");
  SR_ASSIGN(Response r, call("POST", path, {}));
  return expect_status(r, "POST", path, {204, 304, 200});
}

util::Result<std::unique_ptr<RawStream>> Client::attach_container(std::string_view id, AttachStreams streams,
                                                                  std::string_view detach_keys) {
  auto path = container_path(id, "/attach");
  std::string query = "stream=1";
  if (streams.in) query += "&stdin=1";
  if (streams.out) query += "&stdout=1";
  if (streams.err) query += "&stderr=1";
  if (!detach_keys.empty()) query += "&detachKeys=" + url_encode(detach_keys);
  auto target = versioned(path, query);
  if (!target) return std::unexpected(std::move(target.error()).context("POST " + path));
  auto h = transport_->hijack(Request{"POST", std::move(*target), {}});
  if (!h) return std::unexpected(std::move(h.error()).context("POST " + path));
  if (h->status != 101 || !h->stream) return std::unexpected(api_error("POST", path, h->status, h->body));
  return std::move(h->stream);
}

util::Result<void> Client::kill_container(std::string_view id, std::string_view signal) {
  auto path = container_path(id, "/kill");
  SR_ASSIGN(Response r, call("POST", path, "signal=" + url_encode(signal)));
  return expect_status(r, "POST", path, {204, 200});
}

util::Result<void> Client::resize_container(std::string_view id, unsigned height, unsigned width) {
  auto path = container_path(id, "/resize");
  SR_ASSIGN(Response r, call("POST", path, "h=" + std::to_string(height) + "&w=" + std::to_string(width)));
  return expect_status(r, "POST", path, {200, 204});
}

util::Result<void> Client::remove_container(std::string_view id, Force force, RemoveVolumes volumes) {
  auto path = container_path(id, "");
  std::string query;
  if (force == Force::yes) query = "force=1";
  if (volumes == RemoveVolumes::yes) query += query.empty() ? "v=1" : "&v=1";
  SR_ASSIGN(Response r, call("DELETE", path, query));
  return expect_status(r, "DELETE", path, {204, 200});
}

util::Result<nlohmann::json> Client::inspect_container(std::string_view id) {
  auto path = container_path(id, "/json");
  SR_ASSIGN(Response r, call("GET", path, {}));
  SR_TRY(expect_status(r, "GET", path, {200}));
  return parse_json(r, "GET", path);
}

util::Result<nlohmann::json> Client::inspect_image(std::string_view name) {
  // Image names keep their '/' and ':' in the path, as the Docker CLI sends them.
  std::string path = "/images/" + std::string(name) + "/json";
  SR_ASSIGN(Response r, call("GET", path, {}));
  SR_TRY(expect_status(r, "GET", path, {200}));
  return parse_json(r, "GET", path);
}

util::Result<nlohmann::json> Client::inspect_volume(std::string_view name) {
  const std::string path = "/volumes/" + url_encode(name);
  SR_ASSIGN(Response r, call("GET", path, {}));
  SR_TRY(expect_status(r, "GET", path, {200}));
  return parse_json(r, "GET", path);
}

util::Result<nlohmann::json> Client::info() {
  SR_ASSIGN(Response r, call("GET", "/info", {}));
  SR_TRY(expect_status(r, "GET", "/info", {200}));
  return parse_json(r, "GET", "/info");
}

util::Result<nlohmann::json> Client::version() {
  SR_ASSIGN(Response r, call("GET", "/version", {}));
  SR_TRY(expect_status(r, "GET", "/version", {200}));
  return parse_json(r, "GET", "/version");
}

}  // namespace sr::docker
