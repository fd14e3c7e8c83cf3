// A tiny HTTP/1.1 server loop for the loopback-only admin listeners
// (metrics/health and management): small bodies, one handler per listener.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "proxy/net.hpp"

namespace sr::proxy {

using AdminRequest = http::request<http::string_body>;
using AdminResponse = http::response<http::string_body>;
using AdminHandler = std::function<AdminResponse(const AdminRequest&)>;

// Accepts until the acceptor is closed; each connection is served on the
// acceptor's executor.
awaitable<void> admin_accept_loop(tcp::acceptor& acceptor, AdminHandler handler);

// A response with a body and its Content-Type, keep-alive as requested.
AdminResponse admin_response(const AdminRequest& req, http::status status,
                             std::string content_type, std::string body);

// GET /healthz -> 200 "OK"; GET /metrics -> `metrics_text()`.
AdminHandler health_handler(std::function<std::string()> metrics_text);

// POST /v1/reload with "Authorization: Bearer <key>" (compared in constant
// time) -> reload(): 200 {"status":"ok"}, 401 {"error":"unauthorized"}, or
// 422 {"error":"<reason>"}. POST /v1/canary?nonce=N (same key) -> canary(N):
// 200 with its JSON (proxy/canary.hpp).
AdminHandler management_handler(std::string key,
                                 std::function<std::optional<std::string>()> reload,
                                 std::function<nlohmann::json(const std::string& nonce)> canary = {});

}  // namespace sr::proxy
