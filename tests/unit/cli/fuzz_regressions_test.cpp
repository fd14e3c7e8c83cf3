// Inputs found by the libFuzzer targets (fuzz/fuzz_run_options.cpp,
// fuzz/fuzz_env_file.cpp), kept as regression tests: each one was a crash, an
// undefined behaviour or a hang before its fix.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli/run/spec.hpp"
#include "cli/run/values.hpp"

using namespace sr::cli;

namespace {

ParseContext context() {
  return ParseContext{[](const std::string&) -> std::optional<std::string> { return std::nullopt; },
                      "/work"};
}

}  // namespace

TEST_CASE("fuzz: a size beyond int64 is an error, not a float-to-int overflow") {
  // UBSan: "5.55556e+40 is outside the range of representable values of type 'long'".
  const std::string huge(41, '5');
  auto r = parse_ram_bytes(huge);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::invalid_argument);
  CHECK(r.error().message == "invalid size: '" + huge + "': too large");
  CHECK_FALSE(parse_ram_bytes("9223372036854775808"));
  CHECK_FALSE(parse_ram_bytes("8388608t"));       // 2^23 TiB = 2^63 bytes
  CHECK_FALSE(parse_ram_bytes("99999999999999p"));
  CHECK_FALSE(parse_ram_bytes("inf "));             // from_chars reads "inf"
  CHECK_FALSE(parse_ram_bytes("nan "));
  CHECK(*parse_ram_bytes("8388607t") == 9223370937343148032);  // 2^63 - 2^40

  const std::vector<std::string> args = {"-m", huge, "img"};
  auto cmd = parse_run_command(args, context());
  REQUIRE_FALSE(cmd);
  CHECK(cmd.error().message.find("\"-m, --memory\" flag") != std::string::npos);
  const std::vector<std::string> shm = {"--shm-size=1e30", "img"};
  CHECK_FALSE(parse_run_command(shm, context()));
}
