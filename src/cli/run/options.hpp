// A table-driven command-line parser with the Docker CLI's (pflag) rules.
//
// Rules: long options "--name value" and "--name=value"; short options
// "-e value", "-evalue", "-e=value"; boolean short options combine ("-itd",
// and the last of a group may take a value: "-ie KEY=V"); boolean options
// take a value only with '=' ("--rm=false"); options stop at the first
// non-option argument (the image) and after "--". A name that docker accepts
// but the table does not support is an error naming it, never ignored.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sr::cli {

class SpecBuilder;

enum class ValueArity { flag, value };     // flag: boolean, optional "=bool"
enum class Repeat { last_wins, append };  // what a second occurrence does

// How one occurrence lands in the spec. For flags the value is "true" or the
// text after '='.
using ApplyFn = util::Result<void> (*)(SpecBuilder&, const std::string& value);

struct OptionDef {
  std::string_view long_name;   // without "--"
  char short_name;              // '\0' when none
  ValueArity arity;
  Repeat repeat;
  std::string_view value_type;  // shown in --help: "string", "list", "bytes"...
  std::string_view help;
  ApplyFn apply;
};

// A docker option sandbox-run knows about but refuses, and why.
struct UnsupportedOption {
  std::string_view long_name;
  char short_name;
  std::string_view reason;
};

struct OptionTable {
  std::span<const OptionDef> options;
  std::span<const UnsupportedOption> unsupported;
  std::span<const std::string_view> aliases;  // pairs {"net", "network"} flattened
  // false: options end at the first argument that is not one (docker run,
  // exec: the rest is the command). true: options and arguments mix, as
  // pflag's default for docker stop/kill/rm ("stop a -t 3 b").
  bool interspersed = false;
};

// Short names the option tables are written with: {"tty", 't', F, L, ...}.
namespace table_terms {
inline constexpr auto F = ValueArity::flag;   // boolean
inline constexpr auto S = ValueArity::value;  // takes a string
inline constexpr auto L = Repeat::last_wins;
inline constexpr auto A = Repeat::append;
}  // namespace table_terms

struct Occurrence {
  const OptionDef* def;
  std::string value;
};

struct CommandLine {
  std::vector<Occurrence> options;      // in command-line order
  std::vector<std::string> positional;  // IMAGE [COMMAND] [ARG...]
};

// Parses args (without the program name); every sandbox-run command line goes
// through it (run, exec, stop, kill, rm). Errors are invalid_argument and read
// like the Docker CLI's: "unknown flag: --xyz", "flag needs an argument: 'e'
// in -e", "unsupported option --cpu-shares".
util::Result<CommandLine> parse_command_line(const OptionTable& table,
                                             std::span<const std::string> args);

// "-m, --memory" or "--rm": how errors and --help name an option.
std::string display_name(const OptionDef& def);

// `e` given the context the Docker CLI puts before a bad value:
// invalid argument "VALUE" for "-t, --tty" flag: ...
util::Error bad_value(util::Error e, const Occurrence& o);

// The option listing for --help, one line per option, generated from the table.
std::string format_option_help(const OptionTable& table);

}  // namespace sr::cli
