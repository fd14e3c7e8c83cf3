// The exec API and stop: the calls `docker exec` and `docker stop` make.
#include "docker/client.hpp"
#include "docker/errors.hpp"

namespace sr::docker {

namespace {

std::string exec_path(std::string_view id, std::string_view suffix) {
  return "/exec/" + url_encode(id) + std::string(suffix);
}

util::Result<nlohmann::json> parse_object(const Response& r, std::string_view what) {
  auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return util::fail(util::ErrorKind::api, std::string(what) + ": malformed JSON in the daemon's answer");
  return j;
}

nlohmann::json start_body(bool detach, bool tty) { return {{"Detach", detach}, {"Tty", tty}}; }

}  // namespace

util::Result<void> Client::stop_container(std::string_view id, int timeout_s, std::string_view signal) {
  const std::string path = "/containers/" + url_encode(id) + "/stop";
  std::string query;
  if (timeout_s >= 0) query = "t=" + std::to_string(timeout_s);
  if (!signal.empty()) query += (query.empty() ? "signal=" : "&signal=") + url_encode(signal);
  SR_ASSIGN(Response r, call("POST", path, query));
  if (r.status == 204 || r.status == 304 || r.status == 200) return {};
  return std::unexpected(api_error("POST", path, r.status, r.body));
}

util::Result<std::string> Client::create_exec(std::string_view container, const nlohmann::json& body) {
  const std::string path = "/containers/" + url_encode(container) + "/exec";
  SR_ASSIGN(Response r, call("POST", path, {}, body.dump()));
  if (r.status != 201 && r.status != 200) return std::unexpected(api_error("POST", path, r.status, r.body));
  SR_ASSIGN(auto j, parse_object(r, "POST " + path));
  std::string id = j.value("Id", std::string());
  if (id.empty()) return util::fail(util::ErrorKind::api, "POST " + path + ": no Id in the daemon's answer");
  return id;
}

util::Result<std::unique_ptr<RawStream>> Client::start_exec_attached(std::string_view exec_id, bool tty) {
  const std::string path = exec_path(exec_id, "/start");
  auto target = versioned(path, {});
  if (!target) return std::unexpected(std::move(target.error()).context("POST " + path));
  auto h = transport_->hijack(Request{"POST", std::move(*target), start_body(false, tty).dump()});
  if (!h) return std::unexpected(std::move(h.error()).context("POST " + path));
  if (h->status != 101 || !h->stream) return std::unexpected(api_error("POST", path, h->status, h->body));
  return std::move(h->stream);
}

util::Result<void> Client::start_exec_detached(std::string_view exec_id, bool tty) {
  const std::string path = exec_path(exec_id, "/start");
  SR_ASSIGN(Response r, call("POST", path, {}, start_body(true, tty).dump()));
  if (r.status == 200 || r.status == 204) return {};
  return std::unexpected(api_error("POST", path, r.status, r.body));
}

util::Result<nlohmann::json> Client::inspect_exec(std::string_view exec_id) {
  const std::string path = exec_path(exec_id, "/json");
  SR_ASSIGN(Response r, call("GET", path, {}));
  if (r.status != 200) return std::unexpected(api_error("GET", path, r.status, r.body));
  return parse_object(r, "GET " + path);
}

util::Result<void> Client::resize_exec(std::string_view exec_id, unsigned height, unsigned width) {
  const std::string path = exec_path(exec_id, "/resize");
  SR_ASSIGN(Response r, call("POST", path, "h=" + std::to_string(height) + "&w=" + std::to_string(width)));
  if (r.status == 200 || r.status == 201 || r.status == 204) return {};
  return std::unexpected(api_error("POST", path, r.status, r.body));
}

}  // namespace sr::docker
