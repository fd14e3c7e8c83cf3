// The core `docker run` options (process, identity, mounts, namespaces),
// one row per option saying how its value lands in the container create
// body, and the joined table (option_rows.hpp lists the other groups). Semantics and wording
// follow docker/cli cli/command/container/opts.go.
#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "cli/run/option_rows.hpp"
#include "cli/run/spec.hpp"
#include "cli/run/values.hpp"

namespace sr::cli {
namespace {

using namespace rows;

Result<void> add_env_file(B b, V path) {
  SR_ASSIGN(auto lines, read_env_file(path, b.lookup()));
  for (const auto& line : lines) b.env_origins.try_emplace(line.substr(0, line.find('=')), "--env-file " + path);
  b.env_from_files.insert(b.env_from_files.end(), lines.begin(), lines.end());
  return {};
}

Result<void> add_label(B b, V v) {
  const auto eq = v.find('=');
  const std::string key = v.substr(0, eq);
  if (key.find_first_not_of(" \t\n\v\f\r") == std::string::npos)
    return fail(ErrorKind::invalid_argument, "invalid label '" + v + "': empty name");
  b.labels[key] = eq == std::string::npos ? "" : v.substr(eq + 1);
  return {};
}

Result<void> add_volume(B b, V v) {
  SR_ASSIGN(const VolumeSpec vol, parse_volume(v, b.cwd()));
  if (vol.kind == VolumeSpec::Kind::bind) b.host["Binds"].push_back(vol.bind);
  else b.config["Volumes"][vol.target] = json::object();
  return {};
}

// "container[:ro|rw]", as dockerd's parseVolumesFrom takes it. The name goes
// into an API path (inspected with egress on), so only Docker's own name and
// ID characters are accepted.
Result<void> add_volumes_from(B b, V v) {
  const auto colon = v.find(':');
  const std::string name = v.substr(0, colon);
  const std::string mode = colon == std::string::npos ? "" : v.substr(colon + 1);
  const bool name_ok = !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) &&
                       name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                           std::string::npos;
  if (!name_ok || (colon != std::string::npos && mode != "ro" && mode != "rw"))
    return fail(ErrorKind::invalid_argument, "expected a container name or ID, optionally :ro or :rw");
  b.host["VolumesFrom"].push_back(v);
  return {};
}

Result<void> add_publish(B b, V v) {
  SR_ASSIGN(const auto mappings, parse_publish(v));
  for (const auto& m : mappings) {
    b.config["ExposedPorts"][m.port] = json::object();
    json binding = json::object();
    if (!m.host_ip.empty()) binding["HostIp"] = m.host_ip;
    if (!m.host_port.empty()) binding["HostPort"] = m.host_port;
    b.host["PortBindings"][m.port].push_back(binding);
  }
  return {};
}

Result<void> add_tmpfs(B b, V v) {
  const auto colon = v.find(':');
  b.host["Tmpfs"][v.substr(0, colon)] = colon == std::string::npos ? "" : v.substr(colon + 1);
  return {};
}

Result<void> add_ulimit(B b, V v) {
  SR_ASSIGN(Ulimit u, parse_ulimit(v));
  b.ulimits[u.name] = u;
  return {};
}

Result<void> set_attach(B b, V v) {
  std::string stream = v;
  for (auto& c : stream) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (stream != "stdin" && stream != "stdout" && stream != "stderr")
    return fail(ErrorKind::invalid_argument, "valid streams are STDIN, STDOUT and STDERR");
  b.attach.push_back(stream);
  return {};
}

Result<void> set_network(B b, V v) {
  if (v.find('=') != std::string::npos)
    return fail(ErrorKind::invalid_argument,
                "the advanced --network syntax (name=...,alias=...) is not supported; give a network name");
  b.host["NetworkMode"] = v;
  b.spec.user_network = v;
  return {};
}

// --pid/--uts/--userns: the Docker CLI's own validation (container.PidMode
// .Valid() etc.); --ipc is validated by the daemon ("Invalid IPC mode").
Result<void> set_namespace_mode(B b, const char* key, const char* what, bool container_ok, V v) {
  const bool ok = v.empty() || v == "host" ||
                  (container_ok && v.starts_with("container:") && v.size() > 10);
  if (!ok) return fail(ErrorKind::invalid_argument, std::string("invalid ") + what + " mode");
  b.host[key] = v;
  return {};
}

Result<void> add_device(B b, V v) {
  SR_ASSIGN(auto d, parse_device(v));
  b.host["Devices"].push_back({{"PathOnHost", d.path_on_host},
                               {"PathInContainer", d.path_in_container},
                               {"CgroupPermissions", d.permissions}});
  return {};
}

Result<void> set_pull(B b, V v) {
  if (v == "missing") b.spec.pull = runtime::PullPolicy::missing;
  else if (v == "always") b.spec.pull = runtime::PullPolicy::always;
  else if (v == "never") b.spec.pull = runtime::PullPolicy::never;
  else
    return fail(ErrorKind::invalid_argument, "invalid pull option: '" + v +
                                                 "': must be one of \"always\", \"missing\" or \"never\"");
  return {};
}

constexpr std::array kOptions = {
    OptionDef{"add-host", 0, S, A, "list", "Add a custom host-to-IP mapping (host:ip)",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(auto h, parse_extra_host(v));
                b.host["ExtraHosts"].push_back(h);
                return {};
              }},
    OptionDef{"attach", 'a', S, A, "list", "Attach to STDIN, STDOUT or STDERR", set_attach},
    OptionDef{"cap-add", 0, S, A, "list", "Add Linux capabilities",
              [](B b, V v) -> Result<void> { b.cap_add.push_back(normalize_capability(v)); return {}; }},
    OptionDef{"cap-drop", 0, S, A, "list", "Drop Linux capabilities",
              [](B b, V v) -> Result<void> { b.cap_drop.push_back(normalize_capability(v)); return {}; }},
    OptionDef{"cpus", 0, S, L, "decimal", "Number of CPUs",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(b.host["NanoCpus"], parse_nano_cpus(v));
                return {};
              }},
    OptionDef{"detach", 'd', F, L, "", "Run container in background and print container ID",
              [](B b, V v) { return set_flag(b.spec.detach, v); }},
    OptionDef{"device", 0, S, A, "list", "Add a host device to the container", add_device},
    OptionDef{"dry-run", 0, F, L, "", "Print the create request and create nothing (sandbox-run only)",
              [](B b, V v) { return set_flag(b.spec.dry_run, v); }},
    OptionDef{"egress-allow", 0, S, A, "list",
              "Limit this sandbox's egress to HOST, a subset of the allowlist (sandbox-run only)",
              [](B b, V v) -> Result<void> { b.spec.egress_allow.push_back(v); return {}; }},
    OptionDef{"egress-profile", 0, S, A, "list",
              "Limit this sandbox's egress to a profile of config.yaml (sandbox-run only)",
              [](B b, V v) -> Result<void> { b.spec.egress_profiles.push_back(v); return {}; }},
    OptionDef{"entrypoint", 0, S, L, "string", "Overwrite the default ENTRYPOINT of the image",
              [](B b, V v) -> Result<void> { b.entrypoint = v; return {}; }},
    OptionDef{"env", 'e', S, A, "list", "Set environment variables (KEY=VALUE, or KEY from the environment)",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(auto e, resolve_env_flag(v, b.lookup()));
                b.env_origins[e.substr(0, e.find('='))] = "-e";
                b.env_from_flags.push_back(e);
                return {};
              }},
    OptionDef{"env-file", 0, S, A, "list", "Read in a file of environment variables", add_env_file},
    OptionDef{"help", 0, F, L, "", "Print usage",
              [](B b, V) -> Result<void> { b.action = Action::help; return {}; }},
    OptionDef{"hostname", 'h', S, L, "string", "Container host name",
              [](B b, V v) -> Result<void> { b.config["Hostname"] = v; return {}; }},
    OptionDef{"init", 0, F, L, "", "Run an init inside the container that forwards signals and reaps processes",
              [](B b, V v) { return set_json_bool(b.host, "Init", v); }},
    OptionDef{"interactive", 'i', F, L, "", "Keep STDIN open even if not attached",
              [](B b, V v) { return set_flag(b.spec.interactive, v); }},
    OptionDef{"ipc", 0, S, L, "string", "IPC mode to use",
              [](B b, V v) -> Result<void> { b.host["IpcMode"] = v; return {}; }},
    OptionDef{"label", 'l', S, A, "list", "Set meta data on a container", add_label},
    OptionDef{"memory", 'm', S, L, "bytes", "Memory limit",
              [](B b, V v) { return set_json_bytes(b.host, "Memory", v); }},
    OptionDef{"mount", 0, S, A, "mount", "Attach a filesystem mount to the container (bind, volume, tmpfs)",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(auto m, parse_mount(v, b.cwd()));
                b.host["Mounts"].push_back(std::move(m));
                return {};
              }},
    OptionDef{"name", 0, S, L, "string", "Assign a name to the container",
              [](B b, V v) -> Result<void> { b.spec.name = v; return {}; }},
    OptionDef{"network", 0, S, L, "network", "Connect a container to a network (alias --net)", set_network},
    OptionDef{"pid", 0, S, L, "string", "PID namespace to use",
              [](B b, V v) { return set_namespace_mode(b, "PidMode", "PID", true, v); }},
    OptionDef{"pids-limit", 0, S, L, "int", "Tune container pids limit (set -1 for unlimited)",
              [](B b, V v) { return set_json_int(b.host, "PidsLimit", v); }},
    OptionDef{"platform", 0, S, L, "string", "Set platform if server is multi-platform capable",
              [](B b, V v) -> Result<void> { b.spec.platform = v; return {}; }},
    OptionDef{"privileged", 0, F, L, "", "Give extended privileges to this container",
              [](B b, V v) { return set_json_bool(b.host, "Privileged", v); }},
    OptionDef{"publish", 'p', S, A, "list", "Publish a container's port(s) to the host", add_publish},
    OptionDef{"pull", 0, S, L, "string", "Pull image before running (\"always\", \"missing\", \"never\") (default \"missing\")",
              set_pull},
    OptionDef{"quiet", 'q', F, L, "", "Suppress the pull output",
              [](B b, V v) { return set_flag(b.spec.quiet, v); }},
    OptionDef{"read-only", 0, F, L, "", "Mount the container's root filesystem as read only",
              [](B b, V v) { return set_json_bool(b.host, "ReadonlyRootfs", v); }},
    OptionDef{"rm", 0, F, L, "", "Automatically remove the container when it exits",
              [](B b, V v) { return set_flag(b.spec.auto_remove, v); }},
    OptionDef{"runtime", 0, S, L, "string", "Runtime to use for this container",
              [](B b, V v) -> Result<void> { b.host["Runtime"] = v; return {}; }},
    OptionDef{"security-opt", 0, S, A, "list", "Security Options",
              [](B b, V v) -> Result<void> { b.security_opts.push_back(v); return {}; }},
    OptionDef{"error-format", 0, S, L, "string",
              "sandbox-run's own errors on stderr: \"text\" or \"json\" (sandbox-run only)",
              [](B, V v) -> Result<void> {
                if (v == "text" || v == "json") return {};
                return util::fail(util::ErrorKind::invalid_argument,
                                  "invalid argument \"" + std::string(v) + "\" for \"--error-format\" flag: "
                                  "expected text or json");
              }},
    OptionDef{"show-tokens", 0, F, L, "", "Do not redact tokens in --dry-run output (sandbox-run only)",
              [](B b, V v) { return set_flag(b.spec.show_tokens, v); }},
    OptionDef{"shm-size", 0, S, L, "bytes", "Size of /dev/shm",
              [](B b, V v) { return set_json_bytes(b.host, "ShmSize", v); }},
    OptionDef{"sig-proxy", 0, F, L, "", "Proxy received signals to the process (default true)",
              [](B b, V v) { return set_flag(b.spec.sig_proxy, v); }},
    OptionDef{"stop-signal", 0, S, L, "string", "Signal to stop the container",
              [](B b, V v) -> Result<void> { b.config["StopSignal"] = v; return {}; }},
    OptionDef{"stop-timeout", 0, S, L, "int", "Timeout (in seconds) to stop a container",
              [](B b, V v) { return set_json_int(b.config, "StopTimeout", v); }},
    OptionDef{"tmpfs", 0, S, A, "list", "Mount a tmpfs directory (path[:options])", add_tmpfs},
    OptionDef{"tty", 't', F, L, "", "Allocate a pseudo-TTY",
              [](B b, V v) { return set_flag(b.spec.tty, v); }},
    OptionDef{"ulimit", 0, S, A, "ulimit", "Ulimit options (name=soft[:hard])", add_ulimit},
    OptionDef{"user", 'u', S, L, "string", "Username or UID (format: <name|uid>[:<group|gid>])",
              [](B b, V v) -> Result<void> { b.config["User"] = v; return {}; }},
    OptionDef{"userns", 0, S, L, "string", "User namespace to use",
              [](B b, V v) { return set_namespace_mode(b, "UsernsMode", "USER", false, v); }},
    OptionDef{"uts", 0, S, L, "string", "UTS namespace to use",
              [](B b, V v) { return set_namespace_mode(b, "UTSMode", "UTS", false, v); }},
    OptionDef{"version", 0, F, L, "", "Print version information and quit",
              [](B b, V) -> Result<void> { b.action = Action::version; return {}; }},
    OptionDef{"volume", 'v', S, A, "list", "Bind mount a volume", add_volume},
    OptionDef{"volumes-from", 0, S, A, "list", "Mount volumes from the specified container(s)", add_volumes_from},
    OptionDef{"workdir", 'w', S, L, "string", "Working directory inside the container",
              [](B b, V v) -> Result<void> { b.config["WorkingDir"] = v; return {}; }},
};

constexpr std::array<std::string_view, 6> kAliases = {"net", "network", "net-alias", "network-alias",
                                                      "dns-opt", "dns-option"};

}  // namespace

const OptionTable& run_option_table() {
  static const std::vector<OptionDef> all = [] {
    std::vector<OptionDef> v(kOptions.begin(), kOptions.end());
    for (auto group : {resource_options(), network_options(), lifecycle_options()})
      v.insert(v.end(), group.begin(), group.end());
    std::ranges::sort(v, {}, &OptionDef::long_name);  // --help lists them by name
    return v;
  }();
  static const OptionTable table{all, refused_options(), kAliases};
  return table;
}

}  // namespace sr::cli
