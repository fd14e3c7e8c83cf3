#include "runtime/launch_guard.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace sr::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Character devices that reach the host's network stack or memory. Block
// devices are refused whatever their name: a disk read raw bypasses every
// file permission.
constexpr std::array<std::string_view, 6> kDangerousCharDevices = {
    "/dev/ppp", "/dev/vhost-net", "/dev/vhost-vsock", "/dev/mem", "/dev/kmem", "/dev/port"};
constexpr std::array<std::string_view, 3> kHostSystemDirs = {"/proc", "/sys", "/dev"};

struct CapRule {
  std::string_view cap;
  std::string_view item;
  std::string_view reason;
};
constexpr std::array<CapRule, 7> kCaps = {{
    {"ALL", "cap_all", "gives the sandbox every capability"},
    {"CAP_NET_ADMIN", "cap_net_admin", "lets the sandbox rewrite its routes and firewall"},
    {"CAP_NET_RAW", "cap_net_raw", "lets the sandbox forge packets and spoof the gateway's ARP"},
    {"CAP_SYS_ADMIN", "cap_sys_admin", "lets the sandbox mount, change namespaces and more"},
    {"CAP_SYS_PTRACE", "cap_sys_ptrace", "lets the sandbox trace processes it can see"},
    {"CAP_SYS_MODULE", "cap_sys_module", "lets the sandbox load kernel modules"},
    {"CAP_DAC_READ_SEARCH", "cap_dac_read_search",
     "lets the sandbox open host files by handle (the 'shocker' escape)"},
}};

// `child` is `parent` or lies under it, component-wise.
bool within(const fs::path& child, const fs::path& parent) {
  if (parent.empty() || child.empty()) return false;
  auto c = child.begin();
  for (auto p = parent.begin(); p != parent.end(); ++p, ++c) {
    if (p->empty()) continue;  // a trailing separator
    if (c == child.end() || *c != *p) return false;
  }
  return true;
}

// The host directory a local volume's options bind ("o=bind,device=/x"),
// or "" when it binds none.
std::string bound_device(const json& opts) {
  if (!opts.is_object() || opts.value("o", "").find("bind") == std::string::npos) return "";
  const std::string device = opts.value("device", "");
  return device.starts_with('/') ? device : "";
}

class Checker {
 public:
  Checker(const GuardInputs& in) : in_(in) {}

  void add(std::string_view item, std::string option, std::string reason) {
    if (std::ranges::find(in_.allowed, item) != in_.allowed.end()) return;
    out_.push_back({std::string(item), std::move(option), std::move(reason)});
  }

  void namespaces(const json& hc) {
    struct Ns {
      const char* key;
      const char* item;
      const char* flag;
      const char* reason;
      bool container_too;
    };
    static constexpr std::array<Ns, 4> kNs = {{
        {"PidMode", "pid_host", "--pid", "shares a PID namespace: the sandbox sees and signals its processes", true},
        {"IpcMode", "ipc_host", "--ipc", "shares an IPC namespace (shared memory, semaphores)", true},
        {"UTSMode", "uts_host", "--uts", "shares the host's UTS namespace (it may set the host name)", false},
        {"UsernsMode", "userns_host", "--userns", "leaves the daemon's user-namespace remapping", false},
    }};
    for (const auto& ns : kNs) {
      const std::string v = hc.value(ns.key, "");
      if (v == "host" || (ns.container_too && v.starts_with("container:")))
        add(ns.item, std::string(ns.flag) + " " + v, ns.reason);
    }
  }

  void capabilities(const json& hc) {
    if (!hc.contains("CapAdd") || !hc["CapAdd"].is_array()) return;
    for (const auto& c : hc["CapAdd"]) {
      const std::string cap = c.is_string() ? c.get<std::string>() : "";
      for (const auto& rule : kCaps)
        if (cap == rule.cap) add(rule.item, "--cap-add " + cap, std::string(rule.reason));
    }
  }

  void security_opts(const json& hc) {
    if (hc.contains("MaskedPaths") && hc["MaskedPaths"].is_array() && hc["MaskedPaths"].empty())
      add("systempaths_unconfined", "--security-opt systempaths=unconfined",
          "unmasks /proc and /sys paths that reveal or change the host kernel");
    if (!hc.contains("SecurityOpt") || !hc["SecurityOpt"].is_array()) return;
    for (const auto& o : hc["SecurityOpt"]) {
      const std::string opt = o.is_string() ? o.get<std::string>() : "";
      auto sep = opt.find_first_of("=:");
      const std::string key = opt.substr(0, sep);
      const std::string value = sep == std::string::npos ? "" : opt.substr(sep + 1);
      const std::string flag = "--security-opt " + opt.substr(0, 40);
      if (key == "seccomp" && value == "unconfined")
        add("seccomp_unconfined", flag, "lifts the system-call filter");
      else if (key == "apparmor" && value == "unconfined")
        add("apparmor_unconfined", flag, "lifts the AppArmor profile");
      else if (key == "label" && value == "disable")
        add("label_disable", flag, "lifts SELinux labelling");
      else if (key == "no-new-privileges" && value == "false")
        add("new_privileges", flag, "lets set-uid programs gain privileges");
    }
  }

  bool dangerous_device(const fs::path& p) {
    const HostNode n = in_.node(p);
    if (n == HostNode::block_device) return true;
    if (n != HostNode::char_device) return false;
    return within(p, "/dev/net") ||
           std::ranges::find(kDangerousCharDevices, p.string()) != kDangerousCharDevices.end();
  }

  void devices(const json& hc) {
    if (!hc.contains("Devices") || !hc["Devices"].is_array()) return;
    for (const auto& d : hc["Devices"]) {
      const std::string host = d.value("PathOnHost", "");
      const fs::path real = in_.resolve(host);
      bool bad = dangerous_device(real);
      if (!bad && in_.node(real) == HostNode::directory)
        for (const auto& p : in_.devices_under(real)) bad = bad || dangerous_device(p);
      if (bad)
        add("device", "--device " + host + described_as(host, real),
            "a block, network or memory device of the host");
    }
  }

  void mount(const std::string& option, const fs::path& source) {
    const fs::path real = in_.resolve(source);
    const std::string shown = option + described_as(source, real);
    const bool system = real == "/" || std::ranges::any_of(kHostSystemDirs, [&](std::string_view d) {
                          return within(real, fs::path(d));
                        });
    if (system) add("host_system", shown, "the host's own /, /proc, /sys or /dev");
    for (const auto& s : in_.docker_sockets)
      if (within(s, real)) {
        add("docker_socket", shown, "the Docker socket (" + s.string() + "): full control of the host");
        break;
      }
    if (within(real, in_.sandbox_home) || within(in_.sandbox_home, real))
      add("sandbox_home", shown,
          "SANDBOX_RUN_HOME (" + in_.sandbox_home.string() + "): the CA key and the daemon's settings");
    if (within(in_.env_file, real))
      add("env_file", shown, "proxy.env_file (" + in_.env_file.string() + "): the real keys");
  }

  void mounts(const json& hc) {
    if (hc.contains("Binds") && hc["Binds"].is_array())
      for (const auto& b : hc["Binds"]) {
        const std::string entry = b.is_string() ? b.get<std::string>() : "";
        if (entry.starts_with('/')) mount("-v " + entry, entry.substr(0, entry.find(':')));
      }
    if (!hc.contains("Mounts") || !hc["Mounts"].is_array()) return;
    for (const auto& m : hc["Mounts"]) {
      const std::string type = m.value("Type", "");
      if (type == "bind") {
        mount("--mount type=bind,source=" + m.value("Source", ""), m.value("Source", ""));
        continue;
      }
      // The local volume driver's "o=bind,device=/x" is a bind mount too.
      const json opts = m.value("VolumeOptions", json::object())
                            .value("DriverConfig", json::object())
                            .value("Options", json::object());
      if (const std::string device = bound_device(opts); type == "volume" && !device.empty())
        mount("--mount type=volume,volume-opt=device=" + device, device);
    }
  }

  // The daemon copies every mount point of the source container, so each
  // is judged like a bind of the sandbox's own.
  void volumes_from(const json& hc) {
    if (!hc.contains("VolumesFrom") || !hc["VolumesFrom"].is_array()) return;
    for (const auto& v : hc["VolumesFrom"]) {
      const std::string entry = v.is_string() ? v.get<std::string>() : "";
      auto found = in_.volumes_from.find(entry.substr(0, entry.find(':')));
      if (found == in_.volumes_from.end()) continue;
      for (const auto& m : found->second)
        mount("--volumes-from " + entry + " (its mount of " + m.source.string() + " on " + m.destination + ")",
              m.source);
    }
  }

  // A block or "all" rule lets the sandbox mknod a host disk and read it raw
  // (CAP_MKNOD is in the default set); a char rule can reach /dev/mem.
  void device_rules(const json& hc) {
    if (!hc.contains("DeviceCgroupRules") || !hc["DeviceCgroupRules"].is_array()) return;
    for (const auto& r : hc["DeviceCgroupRules"])
      add("device_cgroup_rule", "--device-cgroup-rule '" + (r.is_string() ? r.get<std::string>() : "") + "'",
          "lets the sandbox create and open host devices (a disk read raw, /dev/mem)");
  }

  // The daemon, on the host, ships the container's output to wherever a
  // log driver's options say: a channel out of the sandbox past the proxy.
  void log_driver(const json& hc) {
    const std::string type = hc.value("LogConfig", json::object()).value("Type", "");
    if (!type.empty() && type != "json-file" && type != "local" && type != "none" && type != "journald")
      add("log_driver", "--log-driver " + type,
          "the daemon sends the sandbox's output to the driver's destination, past the proxy");
  }

  std::vector<Refusal> take() { return std::move(out_); }

 private:
  static std::string described_as(const fs::path& given, const fs::path& real) {
    return fs::path(given).lexically_normal() == real ? "" : " (resolves to " + real.string() + ")";
  }

  const GuardInputs& in_;
  std::vector<Refusal> out_;
};

HostNode stat_node(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return HostNode::missing;
  if (S_ISDIR(st.st_mode)) return HostNode::directory;
  if (S_ISBLK(st.st_mode)) return HostNode::block_device;
  if (S_ISCHR(st.st_mode)) return HostNode::char_device;
  if (S_ISSOCK(st.st_mode)) return HostNode::socket;
  return HostNode::other;
}

fs::path resolve_host_path(const fs::path& p) {
  std::error_code ec;
  auto real = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal() : real;
}

// dockerd walks a directory --device recursively; a bounded walk is enough
// to find whether anything dangerous is in it.
std::vector<fs::path> walk_devices(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator() && out.size() < 4096; it.increment(ec))
    out.push_back(it->path());
  return out;
}

}  // namespace

std::vector<Refusal> find_unsafe(const nlohmann::json& body, const GuardInputs& in) {
  const json hc = body.value("HostConfig", json::object());
  Checker c(in);
  if (hc.value("Privileged", false))
    c.add("privileged", "--privileged", "gives the sandbox every capability and every host device");
  c.namespaces(hc);
  c.capabilities(hc);
  c.security_opts(hc);
  c.devices(hc);
  c.device_rules(hc);
  c.log_driver(hc);
  c.mounts(hc);
  c.volumes_from(hc);
  return c.take();
}

std::vector<std::string> volumes_from_names(const nlohmann::json& body) {
  std::vector<std::string> names;
  const json hc = body.value("HostConfig", json::object());
  if (hc.contains("VolumesFrom") && hc["VolumesFrom"].is_array())
    for (const auto& v : hc["VolumesFrom"])
      if (v.is_string()) names.push_back(v.get<std::string>().substr(0, v.get<std::string>().find(':')));
  return names;
}

util::Result<std::vector<InheritedMount>> inherited_mounts(
    const nlohmann::json& container,
    const std::function<util::Result<nlohmann::json>(const std::string&)>& volume_options) {
  std::vector<InheritedMount> out;
  const json mounts = container.value("Mounts", json::array());
  if (!mounts.is_array()) return out;
  for (const auto& m : mounts) {
    const std::string type = m.value("Type", "");
    const std::string dest = m.value("Destination", "");
    if (type == "bind") {
      out.push_back({dest, m.value("Source", "")});
    } else if (type == "volume" && m.value("Driver", "local") == "local" && !m.value("Name", "").empty()) {
      // The local driver's "o=bind,device=/x" mounts /x itself.
      SR_ASSIGN(const json opts, volume_options(m.value("Name", "")));
      if (const std::string device = bound_device(opts); !device.empty()) out.push_back({dest, device});
    }
  }
  return out;
}

std::string describe(const Refusal& r) {
  return r.option + ": " + r.reason + " (allow with sandbox.allow_unsafe: [" + r.item + "])";
}

GuardInputs host_guard_inputs(std::vector<std::string> allowed, fs::path home, fs::path env_file,
                              std::vector<fs::path> sockets) {
  GuardInputs in;
  in.allowed = std::move(allowed);
  in.sandbox_home = resolve_host_path(home);
  if (!env_file.empty()) in.env_file = resolve_host_path(env_file);
  for (const auto& s : sockets)
    if (stat_node(s) != HostNode::missing) in.docker_sockets.push_back(resolve_host_path(s));
  in.resolve = resolve_host_path;
  in.node = stat_node;
  in.devices_under = walk_devices;
  return in;
}

void apply_hardening(nlohmann::json& body) {
  json& hc = body["HostConfig"];
  auto has = [&](const char* key, auto pred) {
    return hc.contains(key) && hc[key].is_array() && std::ranges::any_of(hc[key], pred);
  };
  const bool raw_added = has("CapAdd", [](const json& c) { return c == "CAP_NET_RAW" || c == "ALL"; });
  if (!raw_added && !has("CapDrop", [](const json& c) { return c == "CAP_NET_RAW" || c == "ALL"; }))
    hc["CapDrop"].push_back("CAP_NET_RAW");
  if (!has("SecurityOpt", [](const json& o) { return o.is_string() && o.get<std::string>().starts_with("no-new-privileges"); }))
    hc["SecurityOpt"].push_back("no-new-privileges");
}

std::optional<std::string> unknown_runtime(const std::string& runtime, const nlohmann::json& info) {
  const json runtimes = info.value("Runtimes", json::object());
  if (runtimes.is_object() && runtimes.contains(runtime)) return std::nullopt;
  std::string offered;
  if (runtimes.is_object())
    for (const auto& [name, _] : runtimes.items()) offered += (offered.empty() ? "" : ", ") + name;
  return "the Docker daemon has no runtime '" + runtime + "' (it offers: " +
         (offered.empty() ? "none listed" : offered) +
         "); register it in /etc/docker/daemon.json with "
         "\"runtimes\": {\"" + runtime + "\": {\"path\": \"/usr/bin/" + runtime +
         "\"}}, then reload dockerd (systemctl reload docker, or SIGHUP)";
}

std::optional<fs::path> unix_socket_path(std::string_view docker_host) {
  constexpr std::string_view kUnix = "unix://";
  if (!docker_host.starts_with(kUnix)) return std::nullopt;
  return fs::path(std::string(docker_host.substr(kUnix.size())));
}

}  // namespace sr::runtime
