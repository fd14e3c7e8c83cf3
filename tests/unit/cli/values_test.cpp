// Value parsers: the Docker CLI's results and wording for ports, volumes,
// mounts, sizes, CPUs, ulimits, hosts and capabilities.
#include <catch2/catch.hpp>

#include "cli/run/values.hpp"

using namespace sr::cli;
using nlohmann::json;

namespace {

std::string err(const auto& r) {
  REQUIRE_FALSE(r);
  return r.error().message;
}

std::vector<std::string> ports(std::string_view s) {
  auto r = parse_publish(s);
  REQUIRE(r);
  std::vector<std::string> out;
  for (const auto& m : *r) out.push_back(m.port + " " + m.host_ip + "|" + m.host_port);
  return out;
}

}  // namespace

TEST_CASE("sizes: binary multipliers, fractions, suffix forms") {
  CHECK(*parse_ram_bytes("1024") == 1024);
  CHECK(*parse_ram_bytes("1b") == 1);
  CHECK(*parse_ram_bytes("100k") == 102400);
  CHECK(*parse_ram_bytes("512m") == 536870912);
  CHECK(*parse_ram_bytes("512MB") == 536870912);
  CHECK(*parse_ram_bytes("1.5g") == 1610612736);
  CHECK(*parse_ram_bytes("1 GiB") == 1073741824);
  CHECK(*parse_ram_bytes("2t") == 2199023255552);
  CHECK(err(parse_ram_bytes("12q")) == "invalid suffix: 'q'");
  CHECK(err(parse_ram_bytes("1kbb")) == "invalid suffix: 'kbb'");
  CHECK(err(parse_ram_bytes("1mx")) == "invalid suffix: 'mx'");
  CHECK(err(parse_ram_bytes("")) == "invalid size: ''");
  CHECK(err(parse_ram_bytes("-1")) == "invalid size: '-1'");
  CHECK(err(parse_ram_bytes("g")) == "invalid size: 'g'");
  CHECK(err(parse_ram_bytes("1.2.3")) == "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
}

TEST_CASE("cpus: exact decimal to NanoCpus") {
  CHECK(*parse_nano_cpus("1.5") == 1500000000);
  CHECK(*parse_nano_cpus("0.25") == 250000000);
  CHECK(*parse_nano_cpus("2") == 2000000000);
  CHECK(*parse_nano_cpus(".5") == 500000000);
  CHECK(*parse_nano_cpus("1e2") == 100000000000);
  CHECK(*parse_nano_cpus("0.000000001") == 1);
  CHECK(*parse_nano_cpus("-1") == -1000000000);
  CHECK(*parse_nano_cpus("0.0000000010") == 1);
  CHECK(err(parse_nano_cpus("0.0000000001")) == "value is too precise");
  CHECK(err(parse_nano_cpus("abc")) == "failed to parse abc as a rational number");
}

TEST_CASE("ports: the forms docker accepts") {
  CHECK(ports("80") == std::vector<std::string>{"80/tcp |"});
  CHECK(ports("8080:80") == std::vector<std::string>{"80/tcp |8080"});
  CHECK(ports("127.0.0.1:8080:80/udp") == std::vector<std::string>{"80/udp 127.0.0.1|8080"});
  CHECK(ports("127.0.0.1::80") == std::vector<std::string>{"80/tcp 127.0.0.1|"});
  CHECK(ports(":80") == std::vector<std::string>{"80/tcp |"});
  CHECK(ports("[::1]:81:81") == std::vector<std::string>{"81/tcp ::1|81"});
  CHECK(ports("::1:81:81") == std::vector<std::string>{"81/tcp ::1|81"});
  CHECK(ports("9000-9001:7000-7001") ==
        std::vector<std::string>{"7000/tcp |9000", "7001/tcp |9001"});
  CHECK(ports("8000-8002:80") == std::vector<std::string>{"80/tcp |8000-8002"});
  CHECK(ports("7000-7001") == std::vector<std::string>{"7000/tcp |", "7001/tcp |"});
  CHECK(ports("80/SCTP") == std::vector<std::string>{"80/sctp |"});
  CHECK(ports("published=8443,target=443") == std::vector<std::string>{"443/tcp |8443"});
  CHECK(ports("target=53,published=5353,protocol=udp") == std::vector<std::string>{"53/udp |5353"});
}

TEST_CASE("ports: malformed values with docker's wording") {
  CHECK(err(parse_publish("abc")) == "invalid containerPort: abc");
  CHECK(err(parse_publish("70000")) == "invalid containerPort: 70000");
  CHECK(err(parse_publish("90-80")) == "invalid containerPort: 90-80");
  CHECK(err(parse_publish("x:80")) == "invalid hostPort: x");
  CHECK(err(parse_publish("80:80:80:80")) == "invalid IP address: 80:80");
  CHECK(err(parse_publish("1-3:5-6")) == "invalid ranges specified for container and host Ports: 5-6 and 1-3");
  CHECK(err(parse_publish("1.2.3.4::")) == "no port specified: 1.2.3.4::<empty>");
  CHECK(err(parse_publish("80/xyz")) == "invalid proto: xyz");
  CHECK(err(parse_publish("target")) == "invalid containerPort: target");
  CHECK(err(parse_publish("target=80,x")) ==
        "invalid publish opts format (should be name=value but got 'x')");
}

TEST_CASE("volumes: binds, named volumes, anonymous volumes") {
  auto bind = parse_volume("/tmp:/data:ro", "/cwd");
  REQUIRE(bind);
  CHECK(bind->kind == VolumeSpec::Kind::bind);
  CHECK(bind->bind == "/tmp:/data:ro");
  CHECK(parse_volume("named:/v", "/cwd")->bind == "named:/v");
  CHECK(parse_volume("./rel:/r", "/cwd")->bind == "/cwd/rel:/r");
  CHECK(parse_volume("../up:/r", "/cwd/a")->bind == "/cwd/up:/r");
  auto anon = parse_volume("/anon", "/cwd");
  REQUIRE(anon);
  CHECK(anon->kind == VolumeSpec::Kind::anonymous);
  CHECK(anon->target == "/anon");
  CHECK(err(parse_volume("", "/")) == "invalid empty volume spec");
  CHECK(err(parse_volume("a::b", "/")).ends_with("empty section between colons"));
  CHECK(err(parse_volume(":/x", "/")).ends_with("empty section between colons"));
}

TEST_CASE("mounts: csv fields to HostConfig.Mounts entries") {
  CHECK(*parse_mount("type=bind,src=/tmp,dst=/b,readonly", "/") ==
        json{{"Type", "bind"}, {"Source", "/tmp"}, {"Target", "/b"}, {"ReadOnly", true}});
  CHECK(*parse_mount("type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770", "/") ==
        json{{"Type", "tmpfs"}, {"Target", "/t"},
             {"TmpfsOptions", {{"SizeBytes", 1048576}, {"Mode", 01770}}}});
  CHECK(*parse_mount("target=/v", "/") == json{{"Type", "volume"}, {"Target", "/v"}});
  CHECK(*parse_mount("type=volume,source=v,target=/c,volume-opt=o=1,volume-opt=flag,volume-nocopy=true", "/") ==
        json{{"Type", "volume"}, {"Source", "v"}, {"Target", "/c"},
             {"VolumeOptions", {{"NoCopy", true}, {"DriverConfig", {{"Options", {{"o", "1"}, {"flag", ""}}}}}}}});
  CHECK((*parse_mount("dst=/anon,volume-nocopy", "/"))["VolumeOptions"] ==
        json{{"NoCopy", true}, {"DriverConfig", json::object()}});
  CHECK((*parse_mount("\"type=bind\",\"src=/a,b\",dst=/x", "/"))["Source"] == "/a,b");
  CHECK((*parse_mount("TYPE=BIND,src=.,dst=/x", "/here"))["Source"] == "/here");
}

TEST_CASE("mounts: errors") {
  CHECK(err(parse_mount("type=bind", "/")) == "target is required");
  CHECK(err(parse_mount("src=/x,dst=/y,bogus=1", "/")) == "unexpected key 'bogus' in 'bogus=1'");
  CHECK(err(parse_mount("dst=/y,oops", "/")) == "invalid field 'oops' must be a key=value pair");
  CHECK(err(parse_mount("type=tmpfs,dst=/x,tmpfs-size=abc", "/")) == "invalid value for tmpfs-size: abc");
  CHECK(err(parse_mount("type=tmpfs,dst=/x,tmpfs-mode=9", "/")) == "invalid value for tmpfs-mode: 9");
  CHECK(err(parse_mount("type=tmpfs,dst=/y,readonly=maybe", "/")) == "invalid value for readonly: maybe");
  CHECK(err(parse_mount("type=bind,dst=/y,volume-nocopy", "/")) ==
        "cannot mix 'volume-*' options with mount type 'bind'");
  CHECK(err(parse_mount("type=volume,dst=/y,tmpfs-size=1m", "/")) ==
        "cannot mix 'tmpfs-*' options with mount type 'volume'");
  CHECK(err(parse_mount("type=foo,dst=/x", "/")).starts_with("unsupported mount type 'foo'"));
  CHECK(err(parse_mount("type=bind,\"src=/a,dst=/x", "/")) == "extraneous or missing \" in quoted-field");
}

TEST_CASE("ulimits") {
  auto u = parse_ulimit("nofile=100:200");
  REQUIRE(u);
  CHECK((u->name == "nofile" && u->soft == 100 && u->hard == 200));
  CHECK(parse_ulimit("nproc=5")->hard == 5);
  CHECK(parse_ulimit("nofile=-1")->soft == -1);
  CHECK(parse_ulimit("core=10:-1")->hard == -1);
  CHECK(err(parse_ulimit("nofile")) == "invalid ulimit argument: nofile");
  CHECK(err(parse_ulimit("bogus=1")) == "invalid ulimit type: bogus");
  CHECK(err(parse_ulimit("nofile=5:1")) ==
        "ulimit soft limit must be less than or equal to hard limit: 5 > 1");
  CHECK(err(parse_ulimit("core=0:unlimited")) ==
        "strconv.ParseInt: parsing \"unlimited\": invalid syntax");
  CHECK(err(parse_ulimit("core=1:2:3")).starts_with("too many limit value arguments - 1:2:3"));
}

TEST_CASE("extra hosts, capabilities, booleans, integers") {
  CHECK(*parse_extra_host("a:1.2.3.4") == "a:1.2.3.4");
  CHECK(*parse_extra_host("b:::1") == "b:::1");
  CHECK(*parse_extra_host("c=[::2]") == "c:::2");
  CHECK(*parse_extra_host("gw:host-gateway") == "gw:host-gateway");
  CHECK(err(parse_extra_host("bad")) == "bad format for add-host: \"bad\"");
  CHECK(err(parse_extra_host("a:notip")) == "invalid IP address in add-host: \"notip\"");
  CHECK(normalize_capability("net_admin") == "CAP_NET_ADMIN");
  CHECK(normalize_capability(" CAP_chown ") == "CAP_CHOWN");
  CHECK(normalize_capability("all") == "ALL");
  CHECK(*parse_bool("T"));
  CHECK_FALSE(*parse_bool("0"));
  CHECK(err(parse_bool("yes")) == "strconv.ParseBool: parsing \"yes\": invalid syntax");
  CHECK(*parse_int64("+5") == 5);
  CHECK(*parse_int64("-1") == -1);
  CHECK(err(parse_int64("99999999999999999999")).ends_with("value out of range"));
}
