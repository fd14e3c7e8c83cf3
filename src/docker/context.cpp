#include "docker/context.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "docker/docker_config.hpp"
#include "util/digest.hpp"

namespace sr::docker {

namespace {

bool readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

}  // namespace

util::Result<std::optional<std::string>> selected_context(const EnvLookup& lookup_in) {
  EnvLookup lookup = env_or_getenv(lookup_in);
  std::string name = lookup("DOCKER_CONTEXT").value_or("");
  if (name.empty()) {
    SR_ASSIGN(auto config, load_docker_config(docker_config_dir(lookup)));
    if (auto it = config.find("currentContext"); it != config.end() && it->is_string()) name = it->get<std::string>();
  }
  if (name.empty() || name == "default") return std::nullopt;
  return name;
}

util::Result<Endpoint> context_endpoint(const std::string& config_dir, const std::string& name) {
  const std::string id = util::sha256_hex(name);
  const std::string meta_path = config_dir + "/contexts/meta/" + id + "/meta.json";
  auto fail = [&](util::ErrorKind kind, const std::string& why) {
    return util::fail(kind, "Docker context \"" + name + "\": " + why);
  };
  std::ifstream in(meta_path);
  if (!in) return fail(util::ErrorKind::not_found, "context not found: " + meta_path + " cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  auto meta = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  const nlohmann::json* docker = nullptr;
  if (meta.is_object())
    if (auto eps = meta.find("Endpoints"); eps != meta.end() && eps->is_object())
      if (auto d = eps->find("docker"); d != eps->end() && d->is_object()) docker = &*d;
  if (docker == nullptr) return fail(util::ErrorKind::invalid_argument, meta_path + " has no Endpoints.docker");
  std::string host = docker->value("Host", std::string());
  if (host.empty()) host = std::string(kDefaultDockerHost);
  const bool skip_verify = docker->value("SkipTLSVerify", false);

  const std::string tls_dir = config_dir + "/contexts/tls/" + id + "/docker";
  auto pick = [&](const char* file) {
    std::string path = tls_dir + "/" + file;
    return readable(path) ? path : std::string();
  };
  TlsFiles files{pick("ca.pem"), pick("cert.pem"), pick("key.pem")};
  // The CLI turns TLS on when the context carries TLS material.
  TlsMode tls = TlsMode::off;
  if (!files.ca.empty() || !files.cert.empty()) tls = skip_verify ? TlsMode::encrypt_only : TlsMode::verify;
  auto ep = parse_docker_host(host, tls);
  if (!ep) return std::unexpected(std::move(ep.error()).context("Docker context \"" + name + "\""));
  if (ep->tls != TlsMode::off) ep->tls_files = std::move(files);
  return ep;
}

}  // namespace sr::docker
