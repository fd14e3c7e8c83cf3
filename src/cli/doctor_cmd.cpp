// sandbox-egress doctor [--json] [--check NAME]... [--no-network] [--image IMAGE]
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/cli_util.hpp"
#include "docker/client.hpp"
#include "cli/docker_commands.hpp"
#include "runtime/doctor.hpp"

namespace sr::cli {

int cmd_doctor(std::span<const std::string> args) {
  CLI::App app{"Check the egress set-up end to end; exit 0 when nothing fails", "doctor"};
  bool json = false, no_network = false;
  runtime::DoctorOptions options;
  const char* image_env = std::getenv("SANDBOX_EGRESS_DOCTOR_IMAGE");
  options.probe_image = image_env && *image_env ? image_env : "busybox:latest";
  std::vector<std::string> names(runtime::doctor_check_names().begin(), runtime::doctor_check_names().end());
  app.add_flag("--json", json, "Machine-readable output (docs/doctor-json.md)");
  app.add_option("--check", options.only, "Run only this check (repeatable)")
      ->check(CLI::IsMember(names));
  app.add_flag("--no-network", no_network, "Skip the container reachability and canary probes");
  app.add_option("--image", options.probe_image,
                 "Image with busybox nc for the reachability probe (pulled when missing; default "
                 "$SANDBOX_EGRESS_DOCTOR_IMAGE or busybox:latest)");
  if (auto rc = cli::parse(app, args)) return *rc;
  options.network = no_network ? runtime::Network::skip : runtime::Network::use;

  std::unique_ptr<docker::Client> client;
  if (!no_network) {
    if (auto c = docker::Client::from_env(); c && (*c)->api_version()) client = std::move(*c);
  }
  runtime::DoctorEnv env{egress::Paths::from_environment(), client.get(),
                [](const char* n) { return static_cast<const char*>(std::getenv(n)); },
                &egress::system_iptables_runner()};
  auto results = run_doctor(env, options);
  auto summary = doctor_json(results);
  if (json) {
    std::cout << summary.dump(2) << "\n";
  } else {
    for (const auto& r : results) {
      std::printf("[%-4s] %-14s %s\n", std::string(to_string(r.status)).c_str(), r.name.c_str(),
                  r.detail.c_str());
      if (!r.fix.empty() && (r.status == runtime::CheckStatus::fail || r.status == runtime::CheckStatus::warn))
        std::printf("       %-14s fix: %s\n", "", r.fix.c_str());
    }
  }
  return summary["ok"].get<bool>() ? 0 : 1;
}

}  // namespace sr::cli
