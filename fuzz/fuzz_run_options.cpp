// `docker run` flag parsing: the input is split on '\n' into argv (without
// the program name) and handed to parse_run_command, as sandbox-run's main()
// does. Properties beyond "no crash, no UB, no exception":
//  - an error has a message;
//  - a run command has an image equal to the first positional argument and a
//    create body that is an object, serialises, and (when its strings are
//    valid UTF-8) parses back to the same value;
//  - each argument also goes through the value parsers on their own.
// Options that read files (--env-file, --security-opt seccomp=FILE) are only
// parsed, not applied, so that the fuzzer never reads /dev/zero or the like.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/run/spec.hpp"
#include "cli/run/values.hpp"

namespace cli = sr::cli;

namespace {

std::vector<std::string> split_args(std::string_view in) {
  std::vector<std::string> args;
  while (true) {
    auto nl = in.find('\n');
    args.emplace_back(in.substr(0, nl));
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }
  return args;
}

bool reads_files(const cli::CommandLine& line) {
  for (const auto& [def, value] : line.options) {
    if (def->long_name == "env-file") return true;
    if (def->long_name == "security-opt" && value.find("seccomp") != std::string::npos) return true;
  }
  return false;
}

void value_parsers(std::string_view v) {
  (void)cli::parse_bool(v);
  (void)cli::parse_int64(v);
  (void)cli::parse_ram_bytes(v);
  (void)cli::parse_nano_cpus(v);
  (void)cli::parse_publish(v);
  (void)cli::parse_volume(v, "/work/dir");
  if (auto m = cli::parse_mount(v, "/work/dir"); m && !m->is_object()) std::abort();
  (void)cli::parse_ulimit(v);
  (void)cli::parse_extra_host(v);
  (void)cli::normalize_capability(v);
  (void)cli::is_ip_address(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  const std::vector<std::string> args =
      split_args({reinterpret_cast<const char*>(data), size});
  for (const auto& a : args) value_parsers(a);

  auto line = cli::parse_command_line(cli::run_option_table(), args);
  if (!line) {
    if (line.error().message.empty()) std::abort();
    return 0;
  }
  if (reads_files(*line)) return 0;

  cli::ParseContext context{
      [](const std::string& name) -> std::optional<std::string> {
        if (name == "HOME") return std::string("/home/fuzz");
        if (name == "EMPTY") return std::string();
        return std::nullopt;
      },
      "/work/dir"};
  auto command = cli::parse_run_command(args, context);
  if (!command) {
    if (command.error().message.empty()) std::abort();
    return 0;
  }
  if (command->action != cli::Action::run) return 0;
  const auto& spec = command->spec;
  if (line->positional.empty() || spec.image != line->positional.front()) std::abort();
  const auto& body = spec.create_body;
  if (!body.is_object() || !body.contains("HostConfig") || !body["HostConfig"].is_object())
    std::abort();
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string strict;
  try {
    strict = body.dump();
  } catch (const nlohmann::json::type_error&) {
    return 0;  // invalid UTF-8 in a value: sandbox-run reports it (see the report)
  }
  if (strict != text || nlohmann::json::parse(strict) != body) std::abort();
  return 0;
}
