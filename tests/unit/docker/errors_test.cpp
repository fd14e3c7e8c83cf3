#include <catch2/catch.hpp>

#include "docker/errors.hpp"

using namespace sr::docker;
using sr::util::ErrorKind;

TEST_CASE("an API error quotes method, path, status and the daemon's message", "[errors]") {
  auto e = api_error("POST", "/containers/create?name=x", 409,
                     R"({"message":"Conflict. The container name \"/x\" is already in use"})");
  CHECK(e.kind == ErrorKind::conflict);
  CHECK(e.message == R"(POST /containers/create: 409 Conflict: Conflict. The container name "/x" is already in use)");
}

TEST_CASE("HTTP statuses map to error kinds", "[errors]") {
  CHECK(kind_from_status(404) == ErrorKind::not_found);
  CHECK(kind_from_status(409) == ErrorKind::conflict);
  CHECK(kind_from_status(401) == ErrorKind::permission_denied);
  CHECK(kind_from_status(403) == ErrorKind::permission_denied);
  CHECK(kind_from_status(500) == ErrorKind::api);
  CHECK(kind_from_status(400) == ErrorKind::api);
}

TEST_CASE("non-JSON and empty error bodies", "[errors]") {
  CHECK(daemon_message("  plain text\n") == "plain text");
  CHECK(daemon_message("") == "");
  CHECK(daemon_message(R"({"other":1})") == R"({"other":1})");
  auto e = api_error("GET", "/images/x/json", 404, "");
  CHECK(e.message == "GET /images/x/json: 404 Not Found");
  CHECK(e.kind == ErrorKind::not_found);
  auto odd = api_error("GET", "/x", 418, R"({"message":"teapot"})");
  CHECK(odd.message == "GET /x: 418: teapot");
}
