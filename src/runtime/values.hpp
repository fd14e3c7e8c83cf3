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
#include <vector>

#include "util/error.hpp"

namespace sr::runtime {

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

// --cap-add/--cap-drop: upper case with the CAP_ prefix ("ALL" stays).
std::string normalize_capability(std::string_view s);

// net.ParseIP for IPv4 and IPv6 text forms.
bool is_ip_address(std::string_view s);

}  // namespace sr::runtime
