// The pflag-style parser and the option table: parsing rules, errors that name
// the option, --help generated from the table.
#include <catch2/catch.hpp>

#include "cli/run/spec.hpp"

namespace {

using sr::cli::Action;
using sr::cli::parse_run_command;

sr::cli::ParseContext ctx() {
  return {[](const std::string& k) -> std::optional<std::string> {
            if (k == "HOME") return "/home/me";
            return std::nullopt;
          },
          "/cwd"};
}

auto parse(std::vector<std::string> args) { return parse_run_command(args, ctx()); }

std::string error_of(std::vector<std::string> args) {
  auto r = parse(std::move(args));
  REQUIRE_FALSE(r);
  return r.error().message;
}

}  // namespace

TEST_CASE("combined short flags, attached values and '=' forms") {
  auto r = parse({"-itd", "-eA=1", "-e", "B=2", "--env=C=3", "-e=D=4", "--name", "n", "img"});
  REQUIRE(r);
  CHECK(r->spec.interactive);
  CHECK(r->spec.tty);
  CHECK(r->spec.detach);
  CHECK(r->spec.create_body["Env"] == nlohmann::json({"A=1", "B=2", "C=3", "D=4"}));
  CHECK(r->spec.name == "n");
  CHECK(r->spec.image == "img");
}

TEST_CASE("a value flag ending a short group takes the next argument, even one starting with '-'") {
  auto r = parse({"-ie", "-x=1", "-w", "-", "img"});
  REQUIRE(r);
  CHECK(r->spec.create_body["Env"] == nlohmann::json({"-x=1"}));
  CHECK(r->spec.create_body["WorkingDir"] == "-");
}

TEST_CASE("boolean flags take a value only after '='") {
  auto r = parse({"--rm=false", "--sig-proxy=false", "-t=true", "img", "false"});
  REQUIRE(r);
  CHECK_FALSE(r->spec.auto_remove);
  CHECK_FALSE(r->spec.sig_proxy);
  CHECK(r->spec.tty);
  CHECK(r->spec.create_body["Cmd"] == nlohmann::json({"false"}));
  CHECK(error_of({"--rm=maybe", "img"}) ==
        "invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax");
}

TEST_CASE("options stop at the image and after --") {
  auto r = parse({"--rm", "img", "--rm", "-e", "X=1"});
  REQUIRE(r);
  CHECK(r->spec.create_body["Cmd"] == nlohmann::json({"--rm", "-e", "X=1"}));
  CHECK_FALSE(r->spec.create_body.contains("Env"));
  auto d = parse({"--", "-weird-image", "--"});
  REQUIRE(d);
  CHECK(d->spec.image == "-weird-image");
  CHECK(d->spec.create_body["Cmd"] == nlohmann::json({"--"}));
}

TEST_CASE("-e KEY takes the value from the environment, or stays a bare key when unset") {
  auto r = parse({"-e", "HOME", "-e", "NOPE", "img"});
  REQUIRE(r);
  CHECK(r->spec.create_body["Env"] == nlohmann::json({"HOME=/home/me", "NOPE"}));
  CHECK(r->spec.env_origins.at("HOME") == "-e");
  CHECK(error_of({"-e", "=x", "img"}) ==
        "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x");
}

TEST_CASE("unknown and unsupported options are errors naming them") {
  CHECK(parse({"--xyz", "img"}).error().kind == sr::util::ErrorKind::invalid_argument);
  CHECK(error_of({"--xyz", "img"}) == "unknown flag: --xyz");
  CHECK(error_of({"-Z", "img"}) == "unknown shorthand flag: 'Z' in -Z");
  CHECK(error_of({"-iZ", "img"}) == "unknown shorthand flag: 'Z' in -iZ");
  CHECK(error_of({"--isolation", "hyperv", "img"}).starts_with("unsupported option --isolation: Windows"));
  CHECK(error_of({"--cpu-count=5", "img"}) ==
        "unsupported option --cpu-count: Windows containers only; the daemon refuses it on Linux");
  CHECK(error_of({"--use-api-socket", "img"}).starts_with("unsupported option --use-api-socket: it bind-mounts"));
  CHECK(error_of({"---x", "img"}) == "bad flag syntax: ---x");
}

TEST_CASE("a value option at the end is missing its argument") {
  CHECK(error_of({"--name"}) == "flag needs an argument: --name");
  CHECK(error_of({"-e"}) == "flag needs an argument: 'e' in -e");
}

TEST_CASE("an image is required") {
  CHECK(error_of({"--rm"}).find("requires at least 1 argument") != std::string::npos);
  CHECK(error_of({}).find("requires at least 1 argument") != std::string::npos);
}

TEST_CASE("malformed values name the option and the value") {
  CHECK(error_of({"-p", "abc", "img"}) ==
        "invalid argument \"abc\" for \"-p, --publish\" flag: invalid containerPort: abc");
  CHECK(error_of({"-m", "12q", "img"}) ==
        "invalid argument \"12q\" for \"-m, --memory\" flag: invalid suffix: 'q'");
  CHECK(error_of({"-v", "", "img"}) ==
        "invalid argument \"\" for \"-v, --volume\" flag: invalid empty volume spec");
  CHECK(error_of({"--mount", "type=bind", "img"}) ==
        "invalid argument \"type=bind\" for \"--mount\" flag: target is required");
  CHECK(error_of({"--env-file", "/nonexistent/env", "img"}) ==
        "invalid argument \"/nonexistent/env\" for \"--env-file\" flag: open /nonexistent/env: "
        "No such file or directory");
  CHECK(error_of({"--pull", "sometimes", "img"}).ends_with(
      "invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\""));
  CHECK(error_of({"-a", "bogus", "img"}).ends_with("valid streams are STDIN, STDOUT and STDERR"));
  CHECK(error_of({"--stop-timeout", "1.5", "img"}).ends_with(
      "strconv.ParseInt: parsing \"1.5\": invalid syntax"));
  CHECK(error_of({"-l", "", "img"}).ends_with("invalid label '': empty name"));
  CHECK(error_of({"--security-opt", "label", "img"}) == "Invalid --security-opt: \"label\"");
  CHECK(error_of({"--network", "name=x,alias=y", "img"}).find("--network") != std::string::npos);
  CHECK(error_of({"-d", "-a", "stdout", "img"}) ==
        "conflicting options: cannot specify both --attach and --detach");
}

TEST_CASE("--volumes-from lands in HostConfig.VolumesFrom as given; a malformed one is named") {
  auto r = parse({"--volumes-from", "builder", "--volumes-from=data_1.x:ro", "img"});
  REQUIRE(r);
  CHECK(r->spec.create_body["HostConfig"]["VolumesFrom"] == nlohmann::json::array({"builder", "data_1.x:ro"}));
  for (std::string bad : {"", ":ro", "x:rx", "../x", "a/b", "x?y", "-x"})
    CHECK(error_of({"--volumes-from", bad, "img"}) ==
          "invalid argument \"" + bad + "\" for \"--volumes-from\" flag: expected a container name or ID, "
          "optionally :ro or :rw");
}

TEST_CASE("--net is an alias of --network") {
  auto r = parse({"--net=host", "img"});
  REQUIRE(r);
  CHECK(r->spec.create_body["HostConfig"]["NetworkMode"] == "host");
  CHECK(r->spec.user_network == "host");
}

TEST_CASE("pull policy, platform, quiet, sig-proxy and attach streams land in the RunSpec") {
  auto r = parse({"--pull=always", "--platform", "linux/amd64", "-q", "-i", "img"});
  REQUIRE(r);
  CHECK(r->spec.pull == sr::runtime::PullPolicy::always);
  CHECK(r->spec.platform == "linux/amd64");
  CHECK(r->spec.quiet);
  CHECK(r->spec.sig_proxy);
  CHECK(r->spec.attach_streams == std::vector<std::string>{"stdin", "stdout", "stderr"});
  auto d = parse({"-d", "img"});
  REQUIRE(d);
  CHECK(d->spec.attach_streams.empty());
  CHECK(d->spec.pull == sr::runtime::PullPolicy::missing);
}

TEST_CASE("--help and --version short-circuit, even without an image") {
  auto h = parse({"--help"});
  REQUIRE(h);
  CHECK(h->action == Action::help);
  auto v = parse({"--version"});
  REQUIRE(v);
  CHECK(v->action == Action::version);
}

TEST_CASE("--help lists every option of the table") {
  const std::string usage = sr::cli::usage_text();
  for (const auto& def : sr::cli::run_option_table().options) {
    INFO(def.long_name);
    CHECK(usage.find("--" + std::string(def.long_name)) != std::string::npos);
  }
  CHECK(usage.find("  -m, --memory bytes") != std::string::npos);
  CHECK(usage.find("Usage:  sandbox-run [OPTIONS] IMAGE [COMMAND] [ARG...]") == 0);
}

TEST_CASE("./relative bind sources are made absolute against the working directory") {
  auto r = parse({"-v", "./data/../x:/x:ro", "--mount", "type=bind,src=./y,dst=/y", "img"});
  REQUIRE(r);
  CHECK(r->spec.create_body["HostConfig"]["Binds"] == nlohmann::json({"/cwd/x:/x:ro"}));
  CHECK(r->spec.create_body["HostConfig"]["Mounts"][0]["Source"] == "/cwd/y");
}
