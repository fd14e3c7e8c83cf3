#include <catch2/catch.hpp>

#include <map>

#include "docker/host.hpp"

using namespace sr::docker;

namespace {

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("the default is the local unix socket", "[host]") {
  auto ep = endpoint_from_env(env({}));
  REQUIRE(ep);
  CHECK(ep->unix_socket == "/var/run/docker.sock");
  CHECK(ep->base_url == "http://localhost");
  CHECK(ep->tls == TlsMode::off);
}

TEST_CASE("tcp hosts get the Docker CLI's default ports", "[host]") {
  auto plain = endpoint_from_env(env({{"DOCKER_HOST", "tcp://127.0.0.1"}}));
  REQUIRE(plain);
  CHECK(plain->base_url == "http://127.0.0.1:2375");
  CHECK(plain->unix_socket.empty());
  auto v6 = parse_docker_host("tcp://[::1]:1234", TlsMode::off);
  REQUIRE(v6);
  CHECK(v6->base_url == "http://[::1]:1234");
}

TEST_CASE("DOCKER_TLS_VERIFY reads the certificates from DOCKER_CERT_PATH", "[host]") {
  auto ep = endpoint_from_env(env({{"DOCKER_HOST", "tcp://localhost"},
                                   {"DOCKER_TLS_VERIFY", "1"},
                                   {"DOCKER_CERT_PATH", SR_TEST_DATA_DIR "/certs"}}));
  REQUIRE(ep);
  CHECK(ep->base_url == "https://localhost:2376");
  CHECK(ep->tls == TlsMode::verify);
  CHECK(ep->tls_files.ca == SR_TEST_DATA_DIR "/certs/ca.pem");
  CHECK(ep->tls_files.cert == SR_TEST_DATA_DIR "/certs/cert.pem");
  CHECK(ep->tls_files.key == SR_TEST_DATA_DIR "/certs/key.pem");

  auto missing = endpoint_from_env(env({{"DOCKER_HOST", "tcp://localhost"},
                                        {"DOCKER_TLS_VERIFY", "1"},
                                        {"DOCKER_CERT_PATH", "/nonexistent"}}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("DOCKER_CERT_PATH") != std::string::npos);
}

TEST_CASE("unsupported and malformed hosts are invalid arguments", "[host]") {
  for (auto h : {"ssh://user@host", "npipe:////./pipe/docker_engine", "tcp://h:99999", "unix://", "bogus"}) {
    auto ep = parse_docker_host(h, TlsMode::off);
    INFO(h);
    REQUIRE_FALSE(ep);
    CHECK(ep.error().kind == sr::util::ErrorKind::invalid_argument);
  }
}

TEST_CASE("DOCKER_API_VERSION is carried for the client", "[host]") {
  auto ep = endpoint_from_env(env({{"DOCKER_API_VERSION", "1.40"}}));
  REQUIRE(ep);
  CHECK(ep->api_version == "1.40");
}
