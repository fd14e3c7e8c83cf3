// Parsers for the values of `docker run` options, with the Docker CLI's
// semantics and wording (docker/cli opts, go-units, go-connections/nat).
//
// Contract: each parser either returns the value the CLI would put in the
// container create body or an invalid_argument Error whose message is the
// reason only (e.g. "invalid suffix: 'q'"); the caller names the flag and the
// raw value around it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace sr::cli {

// strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
util::Result<bool> parse_bool(std::string_view s);

// strconv.ParseInt(s, 10, 64).
util::Result<std::int64_t> parse_int64(std::string_view s);

// go-units RAMInBytes: "512m", "1.5g", "100k", "1024", "1 GiB"; binary
// multipliers; negative sizes rejected.
util::Result<std::int64_t> parse_ram_bytes(std::string_view s);

// --cpus: a decimal number of CPUs to NanoCPUs, exactly (1.5 -> 1500000000);
// more than 9 fractional digits is "value is too precise".
util::Result<std::int64_t> parse_nano_cpus(std::string_view s);

// One -p/--publish value expands to one entry per container port.
struct PortMapping {
  std::string port;       // "80/tcp"
  std::string host_ip;    // "" = all addresses
  std::string host_port;  // "" = ephemeral, "8000" or a range "8000-8002"
};

// "[ip:][hostPort:]containerPort[/proto]" with ranges, IPv6 in brackets, or
// the csv form "published=8080,target=80[,protocol=udp]".
util::Result<std::vector<PortMapping>> parse_publish(std::string_view s);

// One -v/--volume value: with a source it is a HostConfig.Binds entry
// (a "./rel" host path made absolute against cwd), else an anonymous volume
// for Config.Volumes.
struct VolumeSpec {
  enum class Kind { bind, anonymous };
  Kind kind = Kind::anonymous;
  std::string bind;    // the Binds entry when kind == bind
  std::string target;  // the container path when kind == anonymous
};
util::Result<VolumeSpec> parse_volume(std::string_view s, std::string_view cwd);

// One --mount csv value to a HostConfig.Mounts entry (bind, volume, tmpfs).
util::Result<nlohmann::json> parse_mount(std::string_view s, std::string_view cwd);

// One --device value "host[:container][:permissions]" (permissions from
// "rwm", default all three; the container path defaults to the host path
// and must be absolute), as cli/command/container/opts.go parseLinuxDevice.
struct DeviceSpec {
  std::string path_on_host;
  std::string path_in_container;
  std::string permissions = "rwm";
};
util::Result<DeviceSpec> parse_device(std::string_view s);

// --ulimit name=soft[:hard].
struct Ulimit {
  std::string name;
  std::int64_t soft = 0;
  std::int64_t hard = 0;
};
util::Result<Ulimit> parse_ulimit(std::string_view s);

// --add-host host:ip or host=ip (IPv6 may be in brackets, or host-gateway),
// to the "host:ip" form of HostConfig.ExtraHosts.
util::Result<std::string> parse_extra_host(std::string_view s);

// encoding/csv for one record: fields split at commas, "..." quoting with ""
// as an escaped quote (--mount, --gpus).
util::Result<std::vector<std::string>> split_csv(std::string_view s);

// strconv.ParseUint(s, 0, 16): --blkio-weight.
util::Result<std::uint16_t> parse_uint16(std::string_view s);

// --memory-swap: "-1" (unlimited) or a RAMInBytes size.
util::Result<std::int64_t> parse_swap_bytes(std::string_view s);

// The --blkio-weight-device and --device-{read,write}-{bps,iops} values as
// the HostConfig entries ({"Path", "Weight"} / {"Path", "Rate"}), with
// docker/cli opts/throttledevice.go and weightdevice.go's checks.
util::Result<nlohmann::json> parse_weight_device(std::string_view s);
util::Result<nlohmann::json> parse_throttle_bps(std::string_view s);
util::Result<nlohmann::json> parse_throttle_iops(std::string_view s);

// --device-cgroup-rule: "type major:minor access" ("c 1:3 rwm", "b *:* r").
util::Result<std::string> validate_cgroup_rule(std::string_view s);

// --sysctl key=value, only the namespaced sysctls the Docker CLI accepts
// (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*).
util::Result<std::pair<std::string, std::string>> parse_sysctl(std::string_view s);

// --restart "no" | "always" | "unless-stopped" | "on-failure[:N]"; the
// policy name is judged by the daemon, as with the Docker CLI.
struct RestartPolicy {
  std::string name;
  std::int64_t max_retry = 0;
};
util::Result<RestartPolicy> parse_restart_policy(std::string_view s);

// --gpus "all" | N | csv of count=, device=, driver=, capabilities=,
// options= to one HostConfig.DeviceRequests entry (docker/cli opts/gpus.go).
util::Result<nlohmann::json> parse_gpu_request(std::string_view s);

// --dns: an IP address, in its canonical text form.
util::Result<std::string> parse_dns_server(std::string_view s);

// --dns-search: a domain name (trailing dot dropped) or ".".
util::Result<std::string> parse_dns_search(std::string_view s);

// --mac-address: net.ParseMAC's colon or dash forms.
bool is_mac_address(std::string_view s);

// --link name[:alias].
util::Result<std::string> parse_link(std::string_view s);

// --expose port[/proto] or start-end[/proto] to "port/proto" keys.
util::Result<std::vector<std::string>> parse_expose(std::string_view s);

// --cap-add/--cap-drop: upper case with the CAP_ prefix ("ALL" stays).
std::string normalize_capability(std::string_view s);

// net.ParseIP for IPv4 and IPv6 text forms.
bool is_ip_address(std::string_view s);

}  // namespace sr::cli
