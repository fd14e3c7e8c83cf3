#include "runtime/launch_guard.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace sr::runtime;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A host where /var/run -> /run, /srv/link -> /run/docker.sock, /dev/sda is
// a disk and /dev/null a harmless character device.
GuardInputs fake_host(std::vector<std::string> allowed = {}) {
  GuardInputs in;
  in.allowed = std::move(allowed);
  in.sandbox_home = "/root/.sandbox-run";
  in.env_file = "/root/keys.env";
  in.docker_sockets = {"/run/docker.sock"};
  in.resolve = [](const fs::path& p) {
    std::string s = fs::path(p).lexically_normal().string();
    if (s == "/srv/link") return fs::path("/run/docker.sock");
    if (s.starts_with("/var/run")) return fs::path("/run" + s.substr(8));
    return fs::path(s);
  };
  in.node = [](const fs::path& p) {
    static const std::map<std::string, HostNode> nodes = {
        {"/dev/sda", HostNode::block_device}, {"/dev/null", HostNode::char_device},
        {"/dev/net/tun", HostNode::char_device}, {"/dev/net", HostNode::directory},
        {"/dev/dri", HostNode::directory}, {"/dev/dri/card0", HostNode::char_device}};
    auto it = nodes.find(p.string());
    return it == nodes.end() ? HostNode::missing : it->second;
  };
  in.devices_under = [](const fs::path& p) {
    if (p == "/dev/net") return std::vector<fs::path>{"/dev/net/tun"};
    return std::vector<fs::path>{"/dev/dri/card0"};
  };
  return in;
}

std::vector<std::string> items(const json& hc, const GuardInputs& in = fake_host()) {
  std::vector<std::string> out;
  for (const auto& r : find_unsafe(json{{"HostConfig", hc}}, in)) out.push_back(r.item);
  return out;
}

}  // namespace

TEST_CASE("a plain sandbox passes") {
  CHECK(items({{"Binds", {"/work/project:/w"}}, {"CapAdd", {"CAP_CHOWN"}}, {"PidMode", ""},
               {"Devices", {{{"PathOnHost", "/dev/null"}}}}})
            .empty());
}

TEST_CASE("each unsafe option is named by its allow_unsafe item") {
  CHECK(items({{"Privileged", true}}) == std::vector<std::string>{"privileged"});
  CHECK(items({{"PidMode", "host"}, {"IpcMode", "container:db"}, {"UTSMode", "host"}, {"UsernsMode", "host"}}) ==
        std::vector<std::string>{"pid_host", "ipc_host", "uts_host", "userns_host"});
  CHECK(items({{"CapAdd", {"ALL", "CAP_NET_ADMIN", "CAP_DAC_READ_SEARCH"}}}) ==
        std::vector<std::string>{"cap_all", "cap_net_admin", "cap_dac_read_search"});
  CHECK(items({{"SecurityOpt", {"seccomp:unconfined", "apparmor=unconfined", "label=disable",
                                "no-new-privileges:false"}}}) ==
        std::vector<std::string>{"seccomp_unconfined", "apparmor_unconfined", "label_disable", "new_privileges"});
  CHECK(items({{"MaskedPaths", json::array()}}) == std::vector<std::string>{"systempaths_unconfined"});
  CHECK(items({{"Devices", {{{"PathOnHost", "/dev/sda"}}, {{"PathOnHost", "/dev/net"}}, {{"PathOnHost", "/dev/dri"}}}}}) ==
        std::vector<std::string>{"device", "device"});
  CHECK(items({{"DeviceCgroupRules", {"b *:* rwm"}}}) == std::vector<std::string>{"device_cgroup_rule"});
  CHECK(items({{"LogConfig", {{"Type", "syslog"}, {"Config", {{"syslog-address", "tcp://127.0.0.1:514"}}}}}}) ==
        std::vector<std::string>{"log_driver"});
  CHECK(items({{"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-size", "1m"}}}}}}).empty());
}

TEST_CASE("bind sources are judged after symlinks, in both directions of containment") {
  CHECK(items({{"Binds", {"/srv/link:/s"}}}) == std::vector<std::string>{"docker_socket"});
  CHECK(items({{"Binds", {"/var/run:/r:ro"}}}) == std::vector<std::string>{"docker_socket"});
  CHECK(items({{"Binds", {"/root:/r"}}}) == std::vector<std::string>{"sandbox_home", "env_file"});
  CHECK(items({{"Binds", {"/root/.sandbox-run/egress:/e"}}}) == std::vector<std::string>{"sandbox_home"});
  CHECK(items({{"Mounts", {{{"Type", "bind"}, {"Source", "/sys/fs/cgroup"}}}}}) ==
        std::vector<std::string>{"host_system"});
  CHECK(items({{"Mounts", {{{"Type", "volume"},
                            {"VolumeOptions", {{"DriverConfig", {{"Options", {{"o", "bind"}, {"device", "/proc"}}}}}}}}}}}) ==
        std::vector<std::string>{"host_system"});
  CHECK(items({{"Binds", {"/:/host"}}}) ==
        std::vector<std::string>{"host_system", "docker_socket", "sandbox_home", "env_file"});
  CHECK(items({{"Binds", {"/rootfs:/r", "named:/v"}}}).empty());  // "/root" is not a prefix of "/rootfs"
}

TEST_CASE("an allowed item launches; the others are still refused") {
  auto in = fake_host({"privileged", "docker_socket"});
  CHECK(items({{"Privileged", true}, {"Binds", {"/run/docker.sock:/s"}}, {"PidMode", "host"}}, in) ==
        std::vector<std::string>{"pid_host"});
}

TEST_CASE("the refusal names the option, the resolved path and the item") {
  auto refused = find_unsafe(json{{"HostConfig", {{"Binds", {"/srv/link:/s"}}}}}, fake_host());
  REQUIRE(refused.size() == 1);
  CHECK(describe(refused[0]) ==
        "-v /srv/link:/s (resolves to /run/docker.sock): the Docker socket (/run/docker.sock): full control "
        "of the host (allow with sandbox.allow_unsafe: [docker_socket])");
}

TEST_CASE("hardening drops NET_RAW and sets no-new-privileges unless the body decides otherwise") {
  json body = {{"HostConfig", json::object()}};
  apply_hardening(body);
  CHECK(body["HostConfig"]["CapDrop"] == json{"CAP_NET_RAW"});
  CHECK(body["HostConfig"]["SecurityOpt"] == json{"no-new-privileges"});
  json allowed = {{"HostConfig", {{"CapAdd", {"CAP_NET_RAW"}}, {"SecurityOpt", {"no-new-privileges=false"}}}}};
  apply_hardening(allowed);
  CHECK_FALSE(allowed["HostConfig"].contains("CapDrop"));
  CHECK(allowed["HostConfig"]["SecurityOpt"].size() == 1);
}

TEST_CASE("an unknown runtime names the daemon.json lines; a known one passes") {
  json info = {{"Runtimes", {{"runc", {{"path", "runc"}}}}}};
  CHECK_FALSE(unknown_runtime("runc", info));
  auto why = unknown_runtime("runsc", info);
  REQUIRE(why);
  CHECK(why->find("it offers: runc") != std::string::npos);
  CHECK(why->find(R"("runtimes": {"runsc": {"path": "/usr/bin/runsc"}})") != std::string::npos);
}

TEST_CASE("--volumes-from: the source container's mounts are judged like the sandbox's own binds") {
  GuardInputs in = fake_host();
  in.volumes_from["builder"] = {{"/s", "/var/run/docker.sock"}, {"/w", "/work/project"}};
  in.volumes_from["keys"] = {{"/k", "/root/keys.env"}};
  in.volumes_from["plain"] = {};
  const json hc = {{"VolumesFrom", {"builder:ro", "keys", "plain"}}};
  auto refused = find_unsafe(json{{"HostConfig", hc}}, in);
  REQUIRE(refused.size() == 2);
  CHECK(refused[0].item == "docker_socket");
  CHECK(describe(refused[0]) ==
        "--volumes-from builder:ro (its mount of /var/run/docker.sock on /s) (resolves to /run/docker.sock): "
        "the Docker socket (/run/docker.sock): full control of the host "
        "(allow with sandbox.allow_unsafe: [docker_socket])");
  CHECK(refused[1].item == "env_file");
  CHECK(items(hc, fake_host()).empty());  // names not looked up are the caller's to refuse
  CHECK(items(hc, [&] { auto a = in; a.allowed = {"docker_socket", "env_file"}; return a; }()).empty());
  CHECK(volumes_from_names(json{{"HostConfig", hc}}) == std::vector<std::string>{"builder", "keys", "plain"});
}

TEST_CASE("inherited mounts: binds and bound local volumes, not plain volumes") {
  const json container = {{"Mounts",
                           {{{"Type", "bind"}, {"Source", "/proc"}, {"Destination", "/p"}},
                            {{"Type", "volume"}, {"Name", "data"}, {"Driver", "local"},
                             {"Source", "/var/lib/docker/volumes/data/_data"}, {"Destination", "/d"}},
                            {{"Type", "volume"}, {"Name", "hostdev"}, {"Driver", "local"}, {"Destination", "/h"}},
                            {{"Type", "tmpfs"}, {"Destination", "/t"}}}}};
  auto options = [](const std::string& name) -> sr::util::Result<json> {
    if (name == "hostdev") return json{{"type", "none"}, {"o", "bind"}, {"device", "/dev"}};
    return json(nullptr);
  };
  auto got = inherited_mounts(container, options);
  REQUIRE(got);
  REQUIRE(got->size() == 2);
  CHECK(((*got)[0].destination == "/p" && (*got)[0].source == "/proc"));
  CHECK(((*got)[1].destination == "/h" && (*got)[1].source == "/dev"));
  auto broken = inherited_mounts(container, [](const std::string&) -> sr::util::Result<json> {
    return sr::util::fail(sr::util::ErrorKind::not_found, "GET /volumes/data: 404");
  });
  CHECK(!broken);
}
