// sandbox-egress doctor: ordered health checks of the egress set-up, each
// pass / warn / fail / skip with a one-line detail and the command that fixes
// it. Lives in runtime because two checks need Docker (a throw-away container
// on the sandbox network) as well as egress state.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "egress/config.hpp"
#include "egress/firewall.hpp"
#include "egress/paths.hpp"
#include "util/error.hpp"

namespace sr::docker {
class Client;
}

namespace sr::runtime {

enum class CheckStatus { pass, warn, fail, skip };
std::string_view to_string(CheckStatus s);

struct CheckResult {
  std::string name;
  CheckStatus status = CheckStatus::skip;
  std::string detail;
  std::string fix;  // empty when nothing to do
};

enum class Network { use, skip };

struct DoctorOptions {
  std::vector<std::string> only;  // --check NAME...; empty = all
  Network network = Network::use;
  std::string probe_image;        // image for the reachability container
};

struct DoctorEnv {
  egress::Paths paths;
  docker::Client* docker = nullptr;  // null: Docker checks skip
  std::function<const char*(const char*)> getenv;
  egress::IptablesRunner* firewall = nullptr;  // null: the interception check skips
};

// Names in run order.
std::span<const std::string_view> doctor_check_names();

std::vector<CheckResult> run_doctor(const DoctorEnv& env, const DoctorOptions& options);

// {"checks":[{"name","status","detail","fix"}...],"summary":{"pass":N,...},"ok":bool}
nlohmann::json doctor_json(const std::vector<CheckResult>& results);

}  // namespace sr::runtime
