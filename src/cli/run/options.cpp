#include "cli/run/options.hpp"

#include <algorithm>

// The parsing rules are those of spf13/pflag with SetInterspersed(false), as
// the Docker CLI configures it for `docker run`:
// https://github.com/spf13/pflag/blob/master/flag.go (parseLongArg,
// parseSingleShortArg).

namespace sr::cli {
namespace {

using util::ErrorKind;
using util::fail;

std::string_view canonical_long(const OptionTable& t, std::string_view name) {
  for (std::size_t i = 0; i + 1 < t.aliases.size(); i += 2)
    if (t.aliases[i] == name) return t.aliases[i + 1];
  return name;
}

const OptionDef* find_long(const OptionTable& t, std::string_view name) {
  name = canonical_long(t, name);
  auto it = std::ranges::find(t.options, name, &OptionDef::long_name);
  return it == t.options.end() ? nullptr : &*it;
}

const OptionDef* find_short(const OptionTable& t, char c) {
  auto it = std::ranges::find(t.options, c, &OptionDef::short_name);
  return it == t.options.end() ? nullptr : &*it;
}

util::Result<void> unknown_long(const OptionTable& t, std::string_view name) {
  auto it = std::ranges::find(t.unsupported, name, &UnsupportedOption::long_name);
  if (it != t.unsupported.end())
    return fail(ErrorKind::invalid_argument,
                "unsupported option --" + std::string(name) + ": " + std::string(it->reason));
  return fail(ErrorKind::invalid_argument, "unknown flag: --" + std::string(name));
}

util::Result<void> unknown_short(const OptionTable& t, char c, std::string_view arg) {
  auto it = std::ranges::find(t.unsupported, c, &UnsupportedOption::short_name);
  if (it != t.unsupported.end())
    return fail(ErrorKind::invalid_argument,
                "unsupported option -" + std::string(1, c) + ", --" + std::string(it->long_name) + ": " +
                    std::string(it->reason));
  return fail(ErrorKind::invalid_argument,
              "unknown shorthand flag: '" + std::string(1, c) + "' in " + std::string(arg));
}

// "--name[=value]"; may consume the next argument as the value.
util::Result<void> parse_long(const OptionTable& t, std::span<const std::string> args,
                              std::size_t& i, CommandLine& out) {
  const std::string_view arg = args[i];
  const std::string_view body = arg.substr(2);
  const auto eq = body.find('=');
  const std::string_view name = body.substr(0, eq);
  if (name.empty() || name.front() == '-' || name.front() == '=')
    return fail(ErrorKind::invalid_argument, "bad flag syntax: " + std::string(arg));
  const OptionDef* def = find_long(t, name);
  if (def == nullptr) return unknown_long(t, name);
  if (eq != std::string_view::npos) {
    out.options.push_back({def, std::string(body.substr(eq + 1))});
  } else if (def->arity == ValueArity::flag) {
    out.options.push_back({def, "true"});
  } else if (i + 1 < args.size()) {
    out.options.push_back({def, args[++i]});
  } else {
    return fail(ErrorKind::invalid_argument, "flag needs an argument: --" + std::string(name));
  }
  return {};
}

// "-abc", "-evalue", "-e=value", "-e value".
util::Result<void> parse_short_group(const OptionTable& t, std::span<const std::string> args,
                                     std::size_t& i, CommandLine& out) {
  const std::string_view arg = args[i];
  std::string_view rest = arg.substr(1);
  while (!rest.empty()) {
    const char c = rest.front();
    rest.remove_prefix(1);
    const OptionDef* def = find_short(t, c);
    if (def == nullptr) return unknown_short(t, c, arg);
    if (rest.starts_with('=')) {
      out.options.push_back({def, std::string(rest.substr(1))});
      return {};
    }
    if (def->arity == ValueArity::flag) {
      out.options.push_back({def, "true"});
      continue;
    }
    if (!rest.empty()) {
      out.options.push_back({def, std::string(rest)});
      return {};
    }
    if (i + 1 >= args.size())
      return fail(ErrorKind::invalid_argument,
                  "flag needs an argument: '" + std::string(1, c) + "' in -" + std::string(1, c));
    out.options.push_back({def, args[++i]});
  }
  return {};
}

}  // namespace

util::Result<CommandLine> parse_command_line(const OptionTable& table,
                                             std::span<const std::string> args) {
  CommandLine out;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (!table.interspersed) break;  // the image: options end here
      out.positional.push_back(arg);
      continue;
    }
    if (arg[1] == '-') {
      SR_TRY(parse_long(table, args, i, out));
    } else {
      SR_TRY(parse_short_group(table, args, i, out));
    }
  }
  out.positional.insert(out.positional.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return out;
}

std::string display_name(const OptionDef& def) {
  std::string name;
  if (def.short_name != '\0') name = std::string("-") + def.short_name + ", ";
  return name + "--" + std::string(def.long_name);
}

util::Error bad_value(util::Error e, const Occurrence& o) {
  return std::move(e).context("invalid argument \"" + o.value + "\" for \"" + display_name(*o.def) + "\" flag");
}

std::string format_option_help(const OptionTable& table) {
  std::string out;
  for (const auto& def : table.options) {
    std::string left = def.short_name != '\0' ? std::string("  -") + def.short_name + ", " : "      ";
    left += "--" + std::string(def.long_name);
    if (def.arity == ValueArity::value) left += " " + std::string(def.value_type);
    if (left.size() < 32) left.resize(32, ' ');
    else left += "  ";
    out += left + std::string(def.help) + "\n";
  }
  return out;
}

}  // namespace sr::cli
