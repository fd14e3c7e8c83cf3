// A scripted Transport: answers requests from a list of canned responses
// keyed by method and target prefix, and records every request it saw.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "docker/transport.hpp"

namespace sr::docker::testing {

struct Canned {
  std::string method;
  std::string target_prefix;
  Response response;
};

class FakeTransport final : public Transport {
 public:
  std::vector<Canned> canned;
  std::vector<Request> seen;

  util::Result<Response> perform(const Request& req, const RequestHooks& hooks) override {
    std::lock_guard lock(mu_);
    seen.push_back(req);
    for (const auto& c : canned) {
      if (c.method != req.method || !req.target.starts_with(c.target_prefix)) continue;
      if (hooks.on_headers) hooks.on_headers(c.response.status);
      bool ok = c.response.status >= 200 && c.response.status < 300;
      if (ok && hooks.on_data) {
        // Deliver the body in small pieces, as a network would.
        for (std::size_t i = 0; i < c.response.body.size(); i += 7)
          if (!hooks.on_data(std::string_view(c.response.body).substr(i, 7)))
            return util::fail(util::ErrorKind::generic, "aborted by the response reader");
        Response r = c.response;
        r.body.clear();
        return r;
      }
      return c.response;
    }
    return util::fail(util::ErrorKind::connect, "fake: no canned response for " + req.method + " " + req.target);
  }

  util::Result<Hijacked> hijack(const Request& req) override {
    std::lock_guard lock(mu_);
    seen.push_back(req);
    return Hijacked{404, R"({"message":"No such container: x"})", nullptr};
  }

  [[nodiscard]] std::string describe() const override { return "fake://"; }

 private:
  std::mutex mu_;
};

inline Response json_response(long status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace sr::docker::testing
