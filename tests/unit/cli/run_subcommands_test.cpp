#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "cli/run_subcommands.hpp"

using namespace sr::cli;
using sr::cli::EnvLookup;
using sr::runtime::exec_create_body;

namespace {

EnvLookup env_with(std::string key, std::string value) {
  return [key, value](const std::string& k) -> std::optional<std::string> {
    if (k == key) return value;
    return std::nullopt;
  };
}

}  // namespace

TEST_CASE("exec flags bundle and take values like the Docker CLI", "[exec]") {
  auto spec = parse_exec_args({"-it", "-eA=1", "-e", "B", "--env=C=3", "-w/tmp", "--user", "1000:1000",
                               "--privileged", "box", "sh", "-c", "echo $A"},
                              env_with("B", "from-env"));
  REQUIRE(spec);
  CHECK(spec->interactive);
  CHECK(spec->tty);
  CHECK_FALSE(spec->detach);
  CHECK(spec->env == std::vector<std::string>{"A=1", "B=from-env", "C=3"});
  CHECK(spec->workdir == "/tmp");
  CHECK(spec->user == "1000:1000");
  CHECK(spec->container == "box");
  CHECK(spec->cmd == std::vector<std::string>{"sh", "-c", "echo $A"});
  auto body = exec_create_body(*spec);
  CHECK(body["AttachStdin"] == true);
  CHECK(body["Tty"] == true);
  CHECK(body["Privileged"] == true);
  CHECK(body["WorkingDir"] == "/tmp");
}

TEST_CASE("exec options end at CONTAINER; the command keeps its own flags", "[exec]") {
  auto spec = parse_exec_args({"-d", "box", "ls", "-la", "-e"}, env_with("", ""));
  REQUIRE(spec);
  CHECK(spec->detach);
  CHECK(spec->cmd == std::vector<std::string>{"ls", "-la", "-e"});
  auto body = exec_create_body(*spec);
  CHECK(body["AttachStdout"] == false);
  CHECK(body["AttachStdin"] == false);
}

TEST_CASE("--env-file values come before -e values", "[exec]") {
  auto path = std::filesystem::temp_directory_path() / "sr-exec-envfile-test";
  std::ofstream(path) << "# comment\nX=file\nY=file\n";
  auto spec = parse_exec_args({"-e", "Y=flag", "--env-file", path.string(), "box", "env"}, env_with("", ""));
  std::filesystem::remove(path);
  REQUIRE(spec);
  CHECK(spec->env == std::vector<std::string>{"X=file", "Y=file", "Y=flag"});
}

TEST_CASE("exec usage errors", "[exec]") {
  CHECK_FALSE(parse_exec_args({"box"}, env_with("", "")));
  auto unknown = parse_exec_args({"--nope", "box", "true"}, env_with("", ""));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message == "unknown flag: --nope");
  auto missing = parse_exec_args({"-e"}, env_with("", ""));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "flag needs an argument: 'e' in -e");  // the Docker CLI's (pflag's) text
  auto bad_bool = parse_exec_args({"--tty=maybe", "box", "sh"}, env_with("", ""));
  REQUIRE_FALSE(bad_bool);
  CHECK(bad_bool.error().message ==
        "invalid argument \"maybe\" for \"-t, --tty\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax");
  auto off = parse_exec_args({"-it", "--tty=false", "box", "sh"}, env_with("", ""));
  REQUIRE(off);
  CHECK(off->interactive);
  CHECK_FALSE(off->tty);
  auto help = parse_exec_args({"--help"}, env_with("", ""));
  REQUIRE(help);
  CHECK(help->help);
}

TEST_CASE("subcommands are recognised by their word only", "[exec]") {
  CHECK(is_subcommand("exec"));
  CHECK(is_subcommand("rm"));
  CHECK_FALSE(is_subcommand("run"));
  CHECK_FALSE(is_subcommand("busybox"));
}

TEST_CASE("stop, kill and rm take only their own flags", "[lifecycle]") {
  using sr::runtime::LifecycleVerb;
  auto rm = parse_lifecycle_args(LifecycleVerb::rm, {"-fv", "a", "--", "-b"});
  REQUIRE(rm);
  CHECK(rm->force == sr::docker::Force::yes);
  CHECK(rm->volumes == sr::docker::RemoveVolumes::yes);
  CHECK(rm->containers == std::vector<std::string>{"a", "-b"});
  auto stop = parse_lifecycle_args(LifecycleVerb::stop, {"--time=3", "-s", "SIGINT", "a"});
  REQUIRE(stop);
  CHECK(stop->timeout == 3);
  CHECK(stop->signal == "SIGINT");
  auto bad_time = parse_lifecycle_args(LifecycleVerb::stop, {"-t", "3s", "a"});
  REQUIRE_FALSE(bad_time);
  CHECK(bad_time.error().message ==
        "invalid argument \"3s\" for \"-t, --time\" flag: strconv.ParseInt: parsing \"3s\": invalid syntax");
  // As in the Docker CLI, flags and names may mix, and --timeout is --time.
  auto mixed = parse_lifecycle_args(LifecycleVerb::stop, {"a", "--timeout", "7", "b", "-sHUP"});
  REQUIRE(mixed);
  CHECK(mixed->containers == std::vector<std::string>{"a", "b"});
  CHECK(mixed->timeout == 7);
  CHECK(mixed->signal == "HUP");
  auto not_forced = parse_lifecycle_args(LifecycleVerb::rm, {"--force=false", "-v", "a"});
  REQUIRE(not_forced);
  CHECK(not_forced->force == sr::docker::Force::no);
  CHECK(not_forced->volumes == sr::docker::RemoveVolumes::yes);
  auto kill_force = parse_lifecycle_args(LifecycleVerb::kill, {"-f", "a"});
  REQUIRE_FALSE(kill_force);
  CHECK(kill_force.error().message == "unknown shorthand flag: 'f' in -f");
  auto none = parse_lifecycle_args(LifecycleVerb::kill, {"-s", "HUP"});
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "'sandbox-run kill' requires at least 1 argument");
}
