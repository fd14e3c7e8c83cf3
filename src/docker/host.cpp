#include "docker/host.hpp"

#include <unistd.h>

#include <cstdlib>

#include "docker/context.hpp"
#include "docker/docker_config.hpp"
#include "util/host_port.hpp"

namespace sr::docker {

namespace {

bool file_exists(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// tcp://host[:port][/path]; IPv6 as [::1]:2376. Without brackets the last
// colon starts the port.
util::Result<std::string> tcp_base_url(std::string_view rest, TlsMode tls) {
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  const std::uint16_t default_port = tls == TlsMode::off ? 2375 : 2376;
  SR_ASSIGN(util::HostPort hp, util::parse_host_port(rest, {.default_port = default_port,
                                                            .colons = util::BareColons::last_is_port}));
  if (hp.host.empty()) hp.host = "localhost";
  return std::string(tls == TlsMode::off ? "http://" : "https://") + util::format_host_port(hp.host, hp.port);
}

}  // namespace

util::Result<Endpoint> parse_docker_host(std::string_view host, TlsMode tls) {
  Endpoint ep;
  ep.host_spec = std::string(host);
  ep.tls = tls;
  auto bad = [&](std::string_view why) {
    return util::fail(util::ErrorKind::invalid_argument,
                      "invalid DOCKER_HOST \"" + std::string(host) + "\": " + std::string(why));
  };
  if (host.starts_with("unix://")) {
    ep.unix_socket = std::string(host.substr(7));
    if (ep.unix_socket.empty()) return bad("empty socket path");
    ep.base_url = "http://localhost";
    ep.tls = TlsMode::off;
    return ep;
  }
  if (host.starts_with("tcp://") || host.starts_with("http://") || host.starts_with("https://")) {
    auto rest = host.substr(host.find("://") + 3);
    if (host.starts_with("https://") && tls == TlsMode::off) ep.tls = TlsMode::encrypt_only;
    auto url = tcp_base_url(rest, ep.tls);
    if (!url) return bad(url.error().message);
    ep.base_url = std::move(*url);
    return ep;
  }
  if (host.starts_with("/")) return parse_docker_host("unix://" + std::string(host), tls);
  if (host.starts_with("ssh://"))
    return bad("ssh:// endpoints are not supported; forward the remote socket with "
               "`ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock HOST` and set "
               "DOCKER_HOST=unix:///tmp/docker.sock");
  auto scheme_end = host.find("://");
  if (scheme_end == std::string_view::npos) return bad("missing scheme (unix:// or tcp://)");
  return bad("unsupported scheme " + std::string(host.substr(0, scheme_end + 3)) +
             " (only unix:// and tcp:// are supported)");
}

util::Result<Endpoint> endpoint_from_env(const EnvLookup& lookup_in) {
  EnvLookup lookup = env_or_getenv(lookup_in);
  auto nonempty = [&](std::string_view name) -> std::string {
    auto v = lookup(name);
    return v ? *v : std::string();
  };
  // The Docker CLI turns TLS on for DOCKER_TLS_VERIFY (verifying the daemon)
  // and DOCKER_TLS (encrypting only), whatever their values, when non-empty.
  TlsMode tls = TlsMode::off;
  if (!nonempty("DOCKER_TLS_VERIFY").empty())
    tls = TlsMode::verify;
  else if (!nonempty("DOCKER_TLS").empty())
    tls = TlsMode::encrypt_only;

  std::string host = nonempty("DOCKER_HOST");
  // DOCKER_HOST wins over contexts, as in the Docker CLI.
  if (host.empty()) {
    SR_ASSIGN(auto context, selected_context(lookup));
    if (context) {
      SR_ASSIGN(Endpoint ep, context_endpoint(docker_config_dir(lookup), *context));
      ep.api_version = nonempty("DOCKER_API_VERSION");
      return ep;
    }
    host = std::string(kDefaultDockerHost);
  }
  SR_ASSIGN(Endpoint ep, parse_docker_host(host, tls));

  if (ep.tls != TlsMode::off) {
    std::string dir = nonempty("DOCKER_CERT_PATH");
    if (dir.empty()) dir = docker_config_dir(lookup);
    auto pick = [&](const char* file) {
      std::string path = dir + "/" + file;
      return file_exists(path) ? path : std::string();
    };
    ep.tls_files = TlsFiles{pick("ca.pem"), pick("cert.pem"), pick("key.pem")};
    if (ep.tls == TlsMode::verify && ep.tls_files.ca.empty())
      return util::fail(util::ErrorKind::invalid_argument,
                        "DOCKER_TLS_VERIFY is set but " + dir + "/ca.pem cannot be read (check DOCKER_CERT_PATH)");
  }
  ep.api_version = nonempty("DOCKER_API_VERSION");
  return ep;
}

}  // namespace sr::docker
