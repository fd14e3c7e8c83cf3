#include "cli/run/spec_builder.hpp"

#include "cli/run/spec_assembly.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

// Assembly order and defaults follow docker/cli opts.go parse() and run.go
// runRun(), so the create body equals the Docker CLI's for the same flags
// (the golden files in tests/unit/cli/data were recorded from it).

namespace sr::cli {
namespace {

using nlohmann::json;
using util::ErrorKind;
using util::fail;

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::ranges::sort(v);
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// A seccomp=<file> profile is sent inline as compact JSON, like the CLI does;
// systempaths=unconfined is handled client side (empty Masked/ReadonlyPaths).
util::Result<void> apply_security_opts(const std::vector<std::string>& opts, json& host) {
  for (const auto& opt : opts) {
    if (opt == "systempaths=unconfined") {
      host["MaskedPaths"] = json::array();
      host["ReadonlyPaths"] = json::array();
      continue;
    }
    auto sep = opt.find('=');
    if (sep == std::string::npos && opt != "no-new-privileges") sep = opt.find(':');
    const bool has_value = sep != std::string::npos && sep + 1 < opt.size();
    if (!has_value && opt != "no-new-privileges")
      return fail(ErrorKind::invalid_argument, "Invalid --security-opt: \"" + opt + "\"");
    const std::string key = opt.substr(0, sep);
    const std::string value = has_value ? opt.substr(sep + 1) : "";
    if (key != "seccomp" || value == "unconfined" || value == "builtin") {
      host["SecurityOpt"].push_back(opt);
      continue;
    }
    std::ifstream in(value);
    if (!in)
      return fail(ErrorKind::invalid_argument,
                  "opening seccomp profile (" + value + ") failed: " + std::strerror(errno));
    std::stringstream content;
    content << in.rdbuf();
    const auto profile = nlohmann::ordered_json::parse(content.str(), nullptr, false);
    if (profile.is_discarded())
      return fail(ErrorKind::invalid_argument,
                  "compacting json for seccomp profile (" + value + ") failed: invalid JSON");
    host["SecurityOpt"].push_back("seccomp=" + profile.dump());
  }
  return {};
}

}  // namespace

util::Result<runtime::RunSpec> SpecBuilder::finish(const std::vector<std::string>& positional) const {
  if (positional.empty() || positional.front().empty())
    return fail(ErrorKind::invalid_argument,
                "\"sandbox-run\" requires at least 1 argument: IMAGE [COMMAND] [ARG...]");
  runtime::RunSpec out = spec;
  out.env_origins = env_origins;
  out.image = positional.front();
  json body = config;
  json hc = host;
  body["Image"] = out.image;
  if (positional.size() > 1) body["Cmd"] = std::vector<std::string>(positional.begin() + 1, positional.end());
  if (entrypoint) body["Entrypoint"] = std::vector<std::string>{*entrypoint};  // "" -> [""]

  // Files first, then -e; a repeated -e KEY replaces the earlier value (the
  // Docker CLI keeps one value per -e key).
  std::vector<std::string> env = env_from_files;
  std::vector<std::string> flags;
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  for (const auto& kv : env_from_flags) {
    auto same = std::ranges::find(flags, key_of(kv), key_of);
    if (same != flags.end()) *same = kv;
    else flags.push_back(kv);
  }
  env.insert(env.end(), flags.begin(), flags.end());
  if (!env.empty()) body["Env"] = env;
  json all_labels = file_labels;  // -l wins over --label-file
  for (const auto& [k, v] : labels) all_labels[k] = v;
  body["Labels"] = std::move(all_labels);

  // -a given: exactly those streams (+ stdin with -i); else stdout and stderr.
  auto wants = [&](std::string_view s) { return std::ranges::find(attach, s) != attach.end(); };
  bool in = wants("stdin") || spec.interactive;
  bool stdout_ = attach.empty() || wants("stdout");
  bool stderr_ = attach.empty() || wants("stderr");
  if (spec.detach) {
    if (!attach.empty())
      return fail(ErrorKind::invalid_argument, "conflicting options: cannot specify both --attach and --detach");
    in = stdout_ = stderr_ = false;
  }
  body["AttachStdin"] = in;
  body["AttachStdout"] = stdout_;
  body["AttachStderr"] = stderr_;
  body["OpenStdin"] = spec.interactive;
  body["StdinOnce"] = spec.interactive && in;
  body["Tty"] = spec.tty;
  out.attach_streams.clear();
  if (in) out.attach_streams.push_back("stdin");
  if (stdout_) out.attach_streams.push_back("stdout");
  if (stderr_) out.attach_streams.push_back("stderr");

  hc["AutoRemove"] = spec.auto_remove;
  if (!hc.contains("NetworkMode")) hc["NetworkMode"] = "default";
  if (!hc.contains("PortBindings")) hc["PortBindings"] = json::object();  // the CLI sends {}
  if (!cap_add.empty()) hc["CapAdd"] = sorted_unique(cap_add);
  if (!cap_drop.empty()) hc["CapDrop"] = sorted_unique(cap_drop);
  // The CLI sends these lists as [] when empty, and the daemon keeps [] (not
  // null) in the container's configuration.
  for (const char* list : {"Dns", "DnsSearch", "DnsOptions", "Devices", "BlkioWeightDevice", "BlkioDeviceReadBps",
                           "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps"})
    if (!hc.contains(list)) hc[list] = json::array();
  hc["Ulimits"] = json::array();
  // Sent as 0 like the CLI: dockerd reads 0 and absent alike, Podman's compat
  // API applies its own default (2048) only when the field is absent.
  if (!hc.contains("PidsLimit")) hc["PidsLimit"] = 0;
  for (const auto& [name, u] : ulimits)
    hc["Ulimits"].push_back({{"Name", name}, {"Soft", u.soft}, {"Hard", u.hard}});
  SR_TRY(apply_security_opts(security_opts, hc));
  SR_TRY(assemble_late_options(*this, body, hc));
  body["HostConfig"] = std::move(hc);
  out.create_body = std::move(body);
  return out;
}

}  // namespace sr::cli
