// The launch options that would undo an egress sandbox's isolation, and the
// hardening every egress sandbox gets (docs/security-model.md, "Launch
// options"). Works on the POST /containers/create body, so it judges what
// the daemon will be asked to do whichever flag spelled it (-v or --mount,
// "seccomp=unconfined" or "seccomp:unconfined").
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace sr::runtime {

// What a host path is, as far as the guard cares.
enum class HostNode { missing, directory, block_device, char_device, socket, other };

// A host path a container mounts, as `--volumes-from` would copy it: a bind's
// source, or the device a local volume binds (o=bind,device=/x).
struct InheritedMount {
  std::string destination;
  std::filesystem::path source;
};

struct GuardInputs {
  std::vector<std::string> allowed;  // sandbox.allow_unsafe
  std::filesystem::path sandbox_home;
  std::filesystem::path env_file;  // proxy.env_file; empty when none
  std::vector<std::filesystem::path> docker_sockets;
  // The path the kernel will mount: symlinks resolved as dockerd's mount
  // follows them (a missing tail is kept as written).
  std::function<std::filesystem::path(const std::filesystem::path&)> resolve;
  std::function<HostNode(const std::filesystem::path&)> node;
  // Entries of a directory --device (dockerd adds every device under it).
  std::function<std::vector<std::filesystem::path>(const std::filesystem::path&)> devices_under;
  // --volumes-from: the host-path mounts of each container HostConfig's
  // VolumesFrom names (by name, without ":ro"/":rw"). The caller looks every
  // one up first; a name missing here is not judged.
  std::map<std::string, std::vector<InheritedMount>> volumes_from;
};

struct Refusal {
  std::string item;    // the sandbox.allow_unsafe name that allows it
  std::string option;  // how the user spelled it, as near as the body tells
  std::string reason;  // what it would undo
};

// Every refused item not in `allowed`, in unsafe_item_names() order per
// option. Pure apart from the inputs' functions.
std::vector<Refusal> find_unsafe(const nlohmann::json& body, const GuardInputs& in);

// The container names of HostConfig.VolumesFrom ("src:ro" -> "src").
std::vector<std::string> volumes_from_names(const nlohmann::json& body);

// The host paths a container's mounts (GET /containers/{id}/json's Mounts)
// would give a sandbox started with --volumes-from it: each bind's Source,
// and each local volume's bound device. `volume_options(name)` returns
// GET /volumes/{name}'s Options (null or an empty object when it has none);
// its error is returned.
util::Result<std::vector<InheritedMount>> inherited_mounts(
    const nlohmann::json& container,
    const std::function<util::Result<nlohmann::json>(const std::string&)>& volume_options);

// One line per refusal: "--privileged: gives the sandbox every capability
// and every device (allow with sandbox.allow_unsafe: [privileged])".
std::string describe(const Refusal& r);

// The real filesystem behind GuardInputs' functions; paths from `sockets`
// that do not exist are dropped.
GuardInputs host_guard_inputs(std::vector<std::string> allowed, std::filesystem::path home,
                              std::filesystem::path env_file,
                              std::vector<std::filesystem::path> sockets);

// Every egress sandbox: CAP_NET_RAW dropped (no forged packets, no ARP
// spoofing of the gateway; `ping` stops working) unless the body adds it or
// ALL, and "no-new-privileges" unless the body sets it either way.
void apply_hardening(nlohmann::json& body);

// nullopt when the daemon's GET /info answer lists `runtime` in Runtimes;
// else why not, naming the daemon.json lines that register it.
std::optional<std::string> unknown_runtime(const std::string& runtime, const nlohmann::json& info);

// The unix socket path of a DOCKER_HOST value ("unix:///x" -> "/x"), or
// nullopt for other schemes.
std::optional<std::filesystem::path> unix_socket_path(std::string_view docker_host);

}  // namespace sr::runtime
