// The options beyond the core table: their validation with the Docker CLI's
// messages (recorded from `docker run` 28 on this project's test machines),
// and what they put in the create body where no golden file can show it.
#include <catch2/catch.hpp>

#include <algorithm>

#include "cli/run/spec.hpp"

namespace {

using nlohmann::json;
using sr::cli::parse_run_command;

auto parse(std::vector<std::string> args) {
  return parse_run_command(args, {[](const std::string&) { return std::nullopt; }, "/cwd"});
}

std::string error_of(std::vector<std::string> args) {
  args.push_back("img");
  auto r = parse(std::move(args));
  REQUIRE_FALSE(r);
  return r.error().message;
}

json body_of(std::vector<std::string> args) {
  args.push_back("img");
  auto r = parse(std::move(args));
  REQUIRE(r);
  return r->spec.create_body;
}

std::string flag_error(const std::string& value, const std::string& flag, const std::string& why) {
  return "invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why;
}

}  // namespace

TEST_CASE("--restart: the policy, its retry count and the conflict with --rm") {
  CHECK(error_of({"--rm", "--restart", "always"}) == "conflicting options: cannot specify both --restart and --rm");
  CHECK(error_of({"--restart", "on-failure:x"}) ==
        "invalid restart policy format: maximum retry count must be an integer");
  CHECK(error_of({"--restart", ":3"}) == "invalid restart policy format: no policy provided before colon");
  CHECK(body_of({"--rm", "--restart=no"})["HostConfig"]["RestartPolicy"]["Name"] == "no");
  CHECK(body_of({"--restart", "bogus"})["HostConfig"]["RestartPolicy"]["Name"] == "bogus");  // the daemon's call
  CHECK(body_of({})["HostConfig"]["RestartPolicy"] == json({{"Name", "no"}, {"MaximumRetryCount", 0}}));
}

TEST_CASE("--health-*: durations, negatives and --no-healthcheck") {
  CHECK(error_of({"--health-interval", "5x"}) ==
        flag_error("5x", "--health-interval", "time: unknown unit \"x\" in duration \"5x\""));
  CHECK(error_of({"--health-interval", "1"}) ==
        flag_error("1", "--health-interval", "time: missing unit in duration \"1\""));
  CHECK(error_of({"--health-timeout", "s"}) == flag_error("s", "--health-timeout", "time: invalid duration \"s\""));
  CHECK(error_of({"--health-interval", "-1s", "--health-cmd", "true"}) == "--health-interval cannot be negative");
  CHECK(error_of({"--health-retries", "-1"}) == "--health-retries cannot be negative");
  CHECK(error_of({"--no-healthcheck", "--health-retries", "2"}) ==
        "--no-healthcheck conflicts with --health-* options");
  auto h = body_of({"--health-interval", ".5s", "--health-timeout", "1h1.5m", "--health-start-interval", "250us"});
  CHECK(h["Healthcheck"]["Interval"] == 500000000);
  CHECK(h["Healthcheck"]["Timeout"] == 3690000000000);
  CHECK(h["Healthcheck"]["StartInterval"] == 250000);
  CHECK_FALSE(body_of({"--health-cmd", ""}).contains("Healthcheck"));
}

TEST_CASE("--sysctl, --dns, --dns-search, --link: the CLI's validators") {
  CHECK(error_of({"--sysctl", "kernel.foo=1"}) ==
        flag_error("kernel.foo=1", "--sysctl", "sysctl 'kernel.foo=1' is not allowed"));
  CHECK(error_of({"--sysctl", "net.x"}) == flag_error("net.x", "--sysctl", "sysctl 'net.x' is not allowed"));
  CHECK(error_of({"--dns", "1.2.3"}) == flag_error("1.2.3", "--dns", "IP address is not correctly formatted: 1.2.3"));
  CHECK(body_of({"--dns", " ::0001 "})["HostConfig"]["Dns"] == json({"::1"}));
  CHECK(error_of({"--dns-search", "a b"}) == flag_error("a b", "--dns-search", "a b is not a valid domain"));
  CHECK(error_of({"--dns-search", "-bad"}) == flag_error("-bad", "--dns-search", "-bad is not a valid domain"));
  CHECK(body_of({"--dns-search", "Ex.com."})["HostConfig"]["DnsSearch"] == json({"Ex.com"}));
  CHECK(error_of({"--link", "a:b:c"}) == flag_error("a:b:c", "--link", "bad format for links: a:b:c"));
  CHECK(error_of({"--link", ""}) == flag_error("", "--link", "empty string specified for links"));
}

TEST_CASE("--expose, --mac-address, --network-alias, --cgroupns, --storage-opt, --log-opt") {
  CHECK(error_of({"--expose", "80:80"}) == "invalid port format for --expose: 80:80");
  CHECK(error_of({"--expose", "abc"}) ==
        "invalid range format for --expose: abc, error: strconv.ParseUint: parsing \"abc\": invalid syntax");
  CHECK(error_of({"--expose", "90-80"}) ==
        "invalid range format for --expose: 90-80, error: invalid range specified for port: 90-80");
  CHECK(error_of({"--expose", "/udp"}) ==
        "invalid range format for --expose: /udp, error: empty string specified for ports");
  CHECK(body_of({"--expose", "80/"})["ExposedPorts"] == json({{"80/tcp", json::object()}}));
  CHECK(error_of({"--mac-address", "zz"}) == "zz is not a valid mac address");
  CHECK(body_of({"--mac-address", "02:42:ac:11:00:99"})["MacAddress"] == "02:42:ac:11:00:99");
  CHECK(error_of({"--network-alias", "a"}) == "network-scoped aliases are only supported for user-defined networks");
  CHECK(error_of({"--net-alias", "a", "--network", "bridge"}) ==
        "network-scoped aliases are only supported for user-defined networks");
  CHECK(error_of({"--cgroupns", "bogus"}) == "--cgroupns: invalid CGROUP mode");
  CHECK(error_of({"--storage-opt", "size"}) == "invalid storage option");
  CHECK(error_of({"--log-driver", "none", "--log-opt", "a=b"}) == "invalid logging opts for driver none");
  CHECK(error_of({"--memory-swappiness", "200"}) == "invalid value: 200. Valid memory swappiness range is 0-100");
}

TEST_CASE("block IO and device rules: the CLI's validators") {
  CHECK(error_of({"--blkio-weight", "70000"}) ==
        flag_error("70000", "--blkio-weight", "strconv.ParseUint: parsing \"70000\": value out of range"));
  CHECK(body_of({"--blkio-weight", "0x10"})["HostConfig"]["BlkioWeight"] == 16);
  CHECK(error_of({"--blkio-weight-device", "/x:10"}) ==
        flag_error("/x:10", "--blkio-weight-device", "bad format for device path: /x:10"));
  CHECK(error_of({"--blkio-weight-device", "/dev/sda:5"}) ==
        flag_error("/dev/sda:5", "--blkio-weight-device", "invalid weight for device: /dev/sda:5"));
  CHECK(error_of({"--device-write-bps", "/dev/sda"}) ==
        flag_error("/dev/sda", "--device-write-bps", "bad format: /dev/sda"));
  CHECK(error_of({"--device-read-bps", "/dev/sda:x"}) ==
        flag_error("/dev/sda:x", "--device-read-bps",
                   "invalid rate for device: /dev/sda:x. The correct format is <device-path>:<number>[<unit>]. "
                   "Number must be a positive integer. Unit is optional and can be kb, mb, or gb"));
  CHECK(error_of({"--device-read-iops", "/dev/sda:-1"}) ==
        flag_error("/dev/sda:-1", "--device-read-iops",
                   "invalid rate for device: /dev/sda:-1. The correct format is <device-path>:<number>. "
                   "Number must be a positive integer"));
  CHECK(error_of({"--device-cgroup-rule", "z 1:1 r"}) ==
        flag_error("z 1:1 r", "--device-cgroup-rule", "invalid device cgroup format 'z 1:1 r'"));
  CHECK(error_of({"--memory-swap", "x"}) == flag_error("x", "--memory-swap", "invalid size: 'x'"));
  CHECK(error_of({"-c", "x"}) ==
        flag_error("x", "-c, --cpu-shares", "strconv.ParseInt: parsing \"x\": invalid syntax"));
}

TEST_CASE("--gpus: the CLI's request syntax and errors") {
  CHECK(error_of({"--gpus", "x"}) ==
        flag_error("x", "--gpus", "invalid count (x): value must be either \"all\" or an integer: invalid syntax"));
  CHECK(error_of({"--gpus", "count=1,count=2"}) ==
        flag_error("count=1,count=2", "--gpus", "gpu request key 'count' can be specified only once"));
  CHECK(error_of({"--gpus", "foo=1"}) == flag_error("foo=1", "--gpus", "unexpected key 'foo' in 'foo=1'"));
  auto dr = body_of({"--gpus", "driver=nvidia"})["HostConfig"]["DeviceRequests"];
  CHECK(dr == json::parse(R"([{"Driver":"nvidia","Count":1,"DeviceIDs":null,"Capabilities":[["gpu"]],"Options":{}}])"));
}

TEST_CASE("client-side options: --cidfile, --detach-keys, --disable-content-trust, --label-file") {
  auto r = parse({"--cidfile", "/tmp/x.cid", "--detach-keys", "ctrl-x,x", "--disable-content-trust", "img"});
  REQUIRE(r);
  CHECK(r->spec.cidfile == "/tmp/x.cid");
  CHECK(r->spec.detach_keys == "ctrl-x,x");
  CHECK(error_of({"--disable-content-trust=false"}).starts_with(
      "invalid argument \"false\" for \"--disable-content-trust\" flag: image verification"));
  CHECK(error_of({"--label-file", "/nonexistent/labels"}).find("/nonexistent/labels") != std::string::npos);
}

TEST_CASE("the table: every docker run option is either supported or refused with a reason") {
  const auto& t = sr::cli::run_option_table();
  CHECK(t.options.size() + t.unsupported.size() >= 100);
  for (const auto& u : t.unsupported) {
    CHECK_FALSE(u.reason.empty());
    CHECK(std::ranges::find(t.options, u.long_name, &sr::cli::OptionDef::long_name) == t.options.end());
  }
}
