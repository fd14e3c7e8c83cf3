// `docker run` rows for the container's life: health check, logging, restart
// policy, labels from files, supplementary groups, and the client-side
// options (--cidfile, --detach-keys, --disable-content-trust). Also the list
// of options sandbox-run refuses, each with its reason.
#include <array>

#include "cli/run/option_rows.hpp"
#include "util/duration.hpp"

namespace sr::cli::rows {
namespace {

Result<void> set_duration(std::int64_t& target, V v) {
  SR_ASSIGN(const auto d, util::parse_go_duration(v, util::DurationWording::go));
  target = d.count();
  return {};
}

Result<void> add_label_file(B b, V path) {
  // opts.ReadKVStrings without an environment: a bare "KEY" line is dropped.
  SR_ASSIGN(const auto lines, read_env_file(path, [](const std::string&) { return std::nullopt; }));
  for (const auto& kv : lines) b.file_labels[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  return {};
}

Result<void> content_trust(B, V v) {
  SR_ASSIGN(const bool disabled, parse_bool(v));
  if (!disabled)
    return fail(ErrorKind::invalid_argument,
                "image verification (content trust, Notary) is a Docker CLI feature sandbox-run does not "
                "implement; pin images by digest instead");
  return {};
}

constexpr std::array kRows = {
    OptionDef{"annotation", 0, S, A, "map", "Add an annotation to the container (passed through to the OCI runtime)",
              [](B b, V v) -> Result<void> {
                const auto eq = v.find('=');
                b.host["Annotations"][v.substr(0, eq)] = eq == std::string::npos ? "" : v.substr(eq + 1);
                return {};
              }},
    OptionDef{"cidfile", 0, S, L, "string", "Write the container ID to the file",
              [](B b, V v) -> Result<void> {
                b.spec.cidfile = v;
                b.host["ContainerIDFile"] = v;
                return {};
              }},
    OptionDef{"detach-keys", 0, S, L, "string", "Override the key sequence for detaching a container",
              [](B b, V v) -> Result<void> { b.spec.detach_keys = v; return {}; }},
    OptionDef{"disable-content-trust", 0, F, L, "", "Skip image verification (default true)", content_trust},
    OptionDef{"group-add", 0, S, A, "list", "Add additional groups to join",
              [](B b, V v) -> Result<void> { b.host["GroupAdd"].push_back(v); return {}; }},
    OptionDef{"health-cmd", 0, S, L, "string", "Command to run to check health",
              [](B b, V v) -> Result<void> { b.health.cmd = v; return {}; }},
    OptionDef{"health-interval", 0, S, L, "duration", "Time between running the check (ms|s|m|h) (default 0s)",
              [](B b, V v) { return set_duration(b.health.interval, v); }},
    OptionDef{"health-retries", 0, S, L, "int", "Consecutive failures needed to report unhealthy",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(b.health.retries, parse_int64(v));
                return {};
              }},
    OptionDef{"health-start-interval", 0, S, L, "duration",
              "Time between running the check during the start period (ms|s|m|h) (default 0s)",
              [](B b, V v) { return set_duration(b.health.start_interval, v); }},
    OptionDef{"health-start-period", 0, S, L, "duration",
              "Start period for the container to initialize before starting health-retries countdown "
              "(ms|s|m|h) (default 0s)",
              [](B b, V v) { return set_duration(b.health.start_period, v); }},
    OptionDef{"health-timeout", 0, S, L, "duration", "Maximum time to allow one check to run (ms|s|m|h) (default 0s)",
              [](B b, V v) { return set_duration(b.health.timeout, v); }},
    OptionDef{"label-file", 0, S, A, "list", "Read in a line delimited file of labels", add_label_file},
    OptionDef{"log-driver", 0, S, L, "string", "Logging driver for the container",
              [](B b, V v) -> Result<void> { b.log_driver = v; return {}; }},
    OptionDef{"log-opt", 0, S, A, "list", "Log driver options",
              [](B b, V v) -> Result<void> { b.log_opts.push_back(v); return {}; }},
    OptionDef{"no-healthcheck", 0, F, L, "", "Disable any container-specified HEALTHCHECK",
              [](B b, V v) { return set_flag(b.health.none, v); }},
    OptionDef{"restart", 0, S, L, "string", "Restart policy to apply when a container exits (default \"no\")",
              [](B b, V v) -> Result<void> { b.restart = v; return {}; }},
};

constexpr std::string_view kWindows = "Windows containers only; the daemon refuses it on Linux";

constexpr std::array kRefused = {
    UnsupportedOption{"cpu-count", 0, kWindows},
    UnsupportedOption{"cpu-percent", 0, kWindows},
    UnsupportedOption{"io-maxbandwidth", 0, kWindows},
    UnsupportedOption{"io-maxiops", 0, kWindows},
    UnsupportedOption{"isolation", 0, "Windows container isolation (process|hyperv); Linux has only 'default'"},
    UnsupportedOption{"use-api-socket", 0,
                      "it bind-mounts the Docker API socket and the CLI's registry credentials into the "
                      "container, handing a sandbox control of the daemon; mount a socket explicitly with -v "
                      "if that is really meant"},
};

}  // namespace

std::span<const OptionDef> lifecycle_options() { return kRows; }
std::span<const UnsupportedOption> refused_options() { return kRefused; }

}  // namespace sr::cli::rows
