// Image pull: POST /images/create streams newline-delimited JSON progress;
// a failure after the 200 head arrives as {"error": ..., "errorDetail": ...}.
#include "docker/client.hpp"
#include "docker/errors.hpp"

namespace sr::docker {

util::Result<void> Client::pull_image(const ImageRef& ref, std::string_view platform, const PullObserver& observer,
                                     std::string registry_auth) {
  std::string query = "fromImage=" + url_encode(ref.repository()) + "&tag=" + url_encode(ref.pull_tag());
  if (!platform.empty()) query += "&platform=" + url_encode(platform);
  const std::string path = "/images/create";

  std::string pending;
  std::string stream_error;
  auto handle_line = [&](std::string_view line) {
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) return true;
    auto msg = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!msg.is_object()) return true;
    if (auto e = msg.find("error"); e != msg.end()) {
      stream_error = e->is_string() ? e->get<std::string>() : e->dump();
      return false;
    }
    if (observer) observer(msg);
    return true;
  };
  RequestHooks hooks;
  hooks.on_data = [&](std::string_view chunk) {
    pending.append(chunk);
    std::size_t start = 0;
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
      if (!handle_line(std::string_view(pending).substr(start, nl - start))) return false;
      start = nl + 1;
    }
    pending.erase(0, start);
    return true;
  };
  if (!registry_auth.empty()) hooks.headers.emplace_back("X-Registry-Auth", std::move(registry_auth));
  auto r = call("POST", path, query, {}, hooks);
  if (!stream_error.empty())
    return util::fail(util::ErrorKind::api, "pulling " + ref.familiar() + ": " + stream_error);
  if (!r) return std::unexpected(std::move(r.error()));
  if (r->status != 200) return std::unexpected(api_error("POST", path, r->status, r->body));
  if (!pending.empty() && !handle_line(pending))
    return util::fail(util::ErrorKind::api, "pulling " + ref.familiar() + ": " + stream_error);
  return {};
}

}  // namespace sr::docker
