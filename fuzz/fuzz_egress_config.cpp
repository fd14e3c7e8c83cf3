// config.yaml loading (egress/config: proxy: and docker_env:). Properties
// beyond "no crash":
//  - errors and warnings name the source;
//  - what loads is in range: tunnel_port 1..65533, extra_allowed_hosts
//    normalised (a second normalisation is a no-op), deny entries CIDRs;
//  - save_proxy_keys over a file that loads either refuses with an error
//    naming the file and a line (a YAML feature the edit cannot keep), leaving
//    the file byte for byte as it was, or writes a file that loads, reads the
//    keys back as set and keeps docker_env and every other key;
//  - then an `allow` (a list under proxy:) and a `secrets rm` (a top-level
//    section's entry) under the same contract.
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "egress/config.hpp"
#include "egress/config_edit.hpp"
#include "egress/validate.hpp"

namespace eg = sr::egress;

namespace {

const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    char tmpl[] = "/tmp/fuzz-egress-config.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "fuzz_egress_config: %s\n", why.c_str());
  std::abort();
}

std::string read_back(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

bool starts_with_source(const std::string& s) { return s.rfind("config.yaml", 0) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = eg::parse_config(text, "config.yaml");
  if (!c) {
    if (!starts_with_source(c.error().message)) std::abort();
    return 0;
  }
  for (const auto& w : c->warnings)
    if (!starts_with_source(w)) std::abort();
  if (c->proxy.tunnel_port < 1 || c->proxy.tunnel_port > 65533) std::abort();
  for (const auto& h : c->proxy.extra_allowed_hosts) {
    auto again = eg::normalize_allowed_host(h);
    if (!again || *again != h) std::abort();
  }
  if (c->proxy.upstream_deny_cidrs)
    for (const auto& d : *c->proxy.upstream_deny_cidrs)
      if (!eg::validate_cidr(d)) std::abort();

  // save_proxy_keys rewrites the file the way `sandbox-egress enable` does.
  const auto path = scratch() / "config.yaml";
  {
    std::ofstream f(path, std::ios::trunc | std::ios::binary);
    f << text;
  }
  eg::ProxySettings want;
  want.enabled = size % 2 == 0;
  want.engine = size % 3 == 0 ? eg::Engine::iron_proxy : eg::Engine::builtin;
  want.tunnel_port = static_cast<std::uint16_t>(1 + size % 65533);
  want.isolation = size % 5 == 0 ? eg::Isolation::bridge : eg::Isolation::internal;
  constexpr std::array keys = {eg::ProxyKey::enabled, eg::ProxyKey::engine,
                               eg::ProxyKey::tunnel_port, eg::ProxyKey::isolation};
  // The file loaded: it saves and loads again, or the edit is refused, naming
  // the file, and the file is left as it was.
  if (auto saved = eg::save_proxy_keys(path, want, keys); !saved) {
    if (saved.error().kind != sr::util::ErrorKind::invalid_argument ||
        saved.error().message.find(path.string()) == std::string::npos)
      die("save_proxy_keys failed: " + saved.error().message);
    if (read_back(path) != text) die("a refused edit changed the file");
    return 0;
  }
  auto after = eg::load_config(path);
  if (!after) die("the saved file does not load: " + after.error().message);
  if (after->proxy.enabled != want.enabled || after->proxy.engine != want.engine ||
      after->proxy.tunnel_port != want.tunnel_port || after->proxy.isolation != want.isolation)
    die("the saved keys do not read back");
  // The loader refuses what yaml-cpp cannot write back the same (invalid
  // UTF-8, control characters, lone CRs), so docker_env survives a rewrite.
  if (after->docker_env != c->docker_env) die("docker_env changed");
  if (after->proxy.extra_allowed_hosts != c->proxy.extra_allowed_hosts ||
      after->proxy.upstream_deny_cidrs != c->proxy.upstream_deny_cidrs ||
      after->proxy.enforce != c->proxy.enforce || after->warnings.size() != c->warnings.size())
    die("a key that was not edited changed");

  // `sandbox-egress allow` then `secrets rm`: a list under proxy: and a
  // top-level section's entry, with the same contract.
  const std::string before_allow = read_back(path);
  YAML::Node hosts(YAML::NodeType::Sequence);
  for (const auto& h : after->proxy.extra_allowed_hosts) hosts.push_back(h);
  hosts.push_back("fuzz.example");
  const std::array<eg::ConfigEdit, 2> edits = {
      eg::ConfigEdit{{"proxy", "extra_allowed_hosts"}, hosts},
      eg::ConfigEdit{{"secrets", after->secrets.empty() ? "NONE" : after->secrets.front().env_name}, std::nullopt}};
  if (auto ok = eg::edit_config_file(path, edits); !ok) {
    if (ok.error().kind != sr::util::ErrorKind::invalid_argument) die("allow failed: " + ok.error().message);
    if (read_back(path) != before_allow) die("a refused allow changed the file");
    return 0;
  }
  auto allowed = eg::load_config(path);
  if (!allowed) die("the file after allow does not load: " + allowed.error().message);
  if (allowed->proxy.extra_allowed_hosts.empty() || allowed->proxy.extra_allowed_hosts.back() != "fuzz.example")
    die("the allowed host does not read back");
  if (allowed->docker_env != c->docker_env) die("docker_env changed by allow");
  return 0;
}
