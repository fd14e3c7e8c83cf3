// `docker run` rows for cgroup resource limits: CPU, memory, block IO,
// device access rules, OOM, cgroup placement and storage. Each lands in the
// HostConfig field of the same meaning (docker/cli opts.go parse()).
#include <array>

#include "cli/run/option_rows.hpp"

namespace sr::cli::rows {
namespace {

Result<void> set_string(B b, const char* key, V v) {
  b.host[key] = v;
  return {};
}

template <auto Parse>
Result<void> push_parsed(B b, const char* key, V v) {
  SR_ASSIGN(auto entry, Parse(v));
  b.host[key].push_back(std::move(entry));
  return {};
}

constexpr std::array kRows = {
    OptionDef{"blkio-weight", 0, S, L, "uint16", "Block IO (relative weight), between 10 and 1000, or 0 to disable",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(b.host["BlkioWeight"], parse_uint16(v));
                return {};
              }},
    OptionDef{"blkio-weight-device", 0, S, A, "list", "Block IO weight (relative device weight)",
              [](B b, V v) { return push_parsed<parse_weight_device>(b, "BlkioWeightDevice", v); }},
    OptionDef{"cgroup-parent", 0, S, L, "string", "Optional parent cgroup for the container",
              [](B b, V v) { return set_string(b, "CgroupParent", v); }},
    OptionDef{"cgroupns", 0, S, L, "string", "Cgroup namespace to use (host|private)",
              [](B b, V v) -> Result<void> { b.cgroupns = v; return {}; }},
    OptionDef{"cpu-period", 0, S, L, "int", "Limit CPU CFS (Completely Fair Scheduler) period",
              [](B b, V v) { return set_json_int(b.host, "CpuPeriod", v); }},
    OptionDef{"cpu-quota", 0, S, L, "int", "Limit CPU CFS (Completely Fair Scheduler) quota",
              [](B b, V v) { return set_json_int(b.host, "CpuQuota", v); }},
    OptionDef{"cpu-rt-period", 0, S, L, "int", "Limit CPU real-time period in microseconds",
              [](B b, V v) { return set_json_int(b.host, "CpuRealtimePeriod", v); }},
    OptionDef{"cpu-rt-runtime", 0, S, L, "int", "Limit CPU real-time runtime in microseconds",
              [](B b, V v) { return set_json_int(b.host, "CpuRealtimeRuntime", v); }},
    OptionDef{"cpu-shares", 'c', S, L, "int", "CPU shares (relative weight)",
              [](B b, V v) { return set_json_int(b.host, "CpuShares", v); }},
    OptionDef{"cpuset-cpus", 0, S, L, "string", "CPUs in which to allow execution (0-3, 0,1)",
              [](B b, V v) { return set_string(b, "CpusetCpus", v); }},
    OptionDef{"cpuset-mems", 0, S, L, "string", "MEMs in which to allow execution (0-3, 0,1)",
              [](B b, V v) { return set_string(b, "CpusetMems", v); }},
    OptionDef{"device-cgroup-rule", 0, S, A, "list", "Add a rule to the cgroup allowed devices list",
              [](B b, V v) { return push_parsed<validate_cgroup_rule>(b, "DeviceCgroupRules", v); }},
    OptionDef{"device-read-bps", 0, S, A, "list", "Limit read rate (bytes per second) from a device",
              [](B b, V v) { return push_parsed<parse_throttle_bps>(b, "BlkioDeviceReadBps", v); }},
    OptionDef{"device-read-iops", 0, S, A, "list", "Limit read rate (IO per second) from a device",
              [](B b, V v) { return push_parsed<parse_throttle_iops>(b, "BlkioDeviceReadIOps", v); }},
    OptionDef{"device-write-bps", 0, S, A, "list", "Limit write rate (bytes per second) to a device",
              [](B b, V v) { return push_parsed<parse_throttle_bps>(b, "BlkioDeviceWriteBps", v); }},
    OptionDef{"device-write-iops", 0, S, A, "list", "Limit write rate (IO per second) to a device",
              [](B b, V v) { return push_parsed<parse_throttle_iops>(b, "BlkioDeviceWriteIOps", v); }},
    OptionDef{"gpus", 0, S, A, "gpu-request", "GPU devices to add to the container ('all' to pass all GPUs)",
              [](B b, V v) { return push_parsed<parse_gpu_request>(b, "DeviceRequests", v); }},
    OptionDef{"kernel-memory", 0, S, L, "bytes", "Kernel memory limit",
              [](B b, V v) { return set_json_bytes(b.host, "KernelMemory", v); }},
    OptionDef{"memory-reservation", 0, S, L, "bytes", "Memory soft limit",
              [](B b, V v) { return set_json_bytes(b.host, "MemoryReservation", v); }},
    OptionDef{"memory-swap", 0, S, L, "bytes", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(b.host["MemorySwap"], parse_swap_bytes(v));
                return {};
              }},
    OptionDef{"memory-swappiness", 0, S, L, "int", "Tune container memory swappiness (0 to 100) (default -1)",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(b.swappiness, parse_int64(v));
                return {};
              }},
    OptionDef{"oom-kill-disable", 0, F, L, "", "Disable OOM Killer",
              [](B b, V v) { return set_json_bool(b.host, "OomKillDisable", v); }},
    OptionDef{"oom-score-adj", 0, S, L, "int", "Tune host's OOM preferences (-1000 to 1000)",
              [](B b, V v) { return set_json_int(b.host, "OomScoreAdj", v); }},
    OptionDef{"storage-opt", 0, S, A, "list", "Storage driver options for the container",
              [](B b, V v) -> Result<void> { b.storage_opts.push_back(v); return {}; }},
    OptionDef{"sysctl", 0, S, A, "map", "Sysctl options",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(const auto kv, parse_sysctl(v));
                b.host["Sysctls"][kv.first] = kv.second;
                return {};
              }},
    OptionDef{"volume-driver", 0, S, L, "string", "Optional volume driver for the container",
              [](B b, V v) { return set_string(b, "VolumeDriver", v); }},
};

}  // namespace

std::span<const OptionDef> resource_options() { return kRows; }

}  // namespace sr::cli::rows
