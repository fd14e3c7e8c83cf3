#include "proxy/admin/admin_http.hpp"

namespace sr::proxy {

AdminHandler health_handler(std::function<std::string()> metrics_text) {
  return [metrics_text = std::move(metrics_text)](const AdminRequest& req) {
    bool read = req.method() == http::verb::get || req.method() == http::verb::head;
    if (req.target() == "/healthz")
      return read ? admin_response(req, http::status::ok, "text/plain; charset=utf-8", "OK")
                  : admin_response(req, http::status::method_not_allowed, "text/plain", "");
    if (req.target() == "/metrics")
      return read ? admin_response(req, http::status::ok, "text/plain; version=0.0.4",
                                   metrics_text())
                  : admin_response(req, http::status::method_not_allowed, "text/plain", "");
    return admin_response(req, http::status::not_found, "text/plain; charset=utf-8",
                          "not found\n");
  };
}

}  // namespace sr::proxy
