#include <catch2/catch.hpp>

#include <map>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "docker/context.hpp"
#include "docker/host.hpp"
#include "util/digest.hpp"

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

namespace {

// A temp DOCKER_CONFIG with one context; removed on destruction.
struct ContextDir {
  std::filesystem::path root;
  explicit ContextDir(const std::string& tag)
      : root(std::filesystem::temp_directory_path() / ("sr-ctx-" + tag + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
  }
  ~ContextDir() { std::filesystem::remove_all(root); }
  void write(const std::filesystem::path& rel, const std::string& text) const {
    std::filesystem::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  }
  void add_context(const std::string& name, const std::string& host, bool skip_verify = false) const {
    write("contexts/meta/" + sr::util::sha256_hex(name) + "/meta.json",
          R"({"Name":")" + name + R"(","Metadata":{},"Endpoints":{"docker":{"Host":")" + host +
              R"(","SkipTLSVerify":)" + (skip_verify ? "true" : "false") + "}}}");
  }
};

}  // namespace

TEST_CASE("DOCKER_CONTEXT selects a context's endpoint; DOCKER_HOST wins over it", "[host][context]") {
  ContextDir dir("env");
  dir.add_context("other", "unix:///run/other.sock");
  auto ep = endpoint_from_env(env({{"DOCKER_CONFIG", dir.root.string()}, {"DOCKER_CONTEXT", "other"}}));
  REQUIRE(ep);
  CHECK(ep->unix_socket == "/run/other.sock");
  auto host_wins = endpoint_from_env(env({{"DOCKER_CONFIG", dir.root.string()},
                                          {"DOCKER_CONTEXT", "other"},
                                          {"DOCKER_HOST", "unix:///run/host.sock"}}));
  REQUIRE(host_wins);
  CHECK(host_wins->unix_socket == "/run/host.sock");
  auto def = endpoint_from_env(env({{"DOCKER_CONFIG", dir.root.string()}, {"DOCKER_CONTEXT", "default"}}));
  REQUIRE(def);
  CHECK(def->unix_socket == "/var/run/docker.sock");
}

TEST_CASE("config.json's currentContext applies when DOCKER_CONTEXT is unset", "[host][context]") {
  ContextDir dir("current");
  dir.add_context("remote", "tcp://127.0.0.1:2376");
  dir.write("config.json", R"({"currentContext":"remote"})");
  auto ep = endpoint_from_env(env({{"DOCKER_CONFIG", dir.root.string()}}));
  REQUIRE(ep);
  CHECK(ep->base_url == "http://127.0.0.1:2376");
  CHECK(ep->tls == TlsMode::off);
}

TEST_CASE("a context's TLS material turns TLS on; SkipTLSVerify only encrypts", "[host][context]") {
  ContextDir dir("tls");
  dir.add_context("secure", "tcp://127.0.0.1:2376");
  dir.add_context("lax", "tcp://127.0.0.1:2377", /*skip_verify=*/true);
  for (const char* name : {"secure", "lax"})
    for (const char* file : {"ca.pem", "cert.pem", "key.pem"})
      dir.write(std::string("contexts/tls/") + sr::util::sha256_hex(name) + "/docker/" + file, "pem");
  auto secure = context_endpoint(dir.root.string(), "secure");
  REQUIRE(secure);
  CHECK(secure->tls == TlsMode::verify);
  CHECK(secure->base_url == "https://127.0.0.1:2376");
  CHECK(secure->tls_files.key.ends_with("/docker/key.pem"));
  auto lax = context_endpoint(dir.root.string(), "lax");
  REQUIRE(lax);
  CHECK(lax->tls == TlsMode::encrypt_only);
}

TEST_CASE("unknown contexts and ssh:// endpoints are refused with the reason", "[host][context]") {
  ContextDir dir("bad");
  dir.add_context("viassh", "ssh://user@host");
  auto missing = endpoint_from_env(env({{"DOCKER_CONFIG", dir.root.string()}, {"DOCKER_CONTEXT", "nope"}}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == sr::util::ErrorKind::not_found);
  CHECK(missing.error().message.find("Docker context \"nope\"") != std::string::npos);
  auto ssh = context_endpoint(dir.root.string(), "viassh");
  REQUIRE_FALSE(ssh);
  CHECK(ssh.error().message.find("ssh:// endpoints are not supported") != std::string::npos);
}
