// Parsing `sandbox-run exec` arguments with the Docker CLI's (pflag) rules:
// bundled short flags (-it), values as -eK=V, -e K=V, --env=K=V, --env K=V.
#include <array>

#include "cli/run_subcommands.hpp"

namespace sr::cli {

namespace {

using util::ErrorKind;

struct Flag {
  char short_name;
  std::string_view long_name;
  bool takes_value;
};

constexpr std::array kFlags{
    Flag{'i', "interactive", false}, Flag{'t', "tty", false},     Flag{'d', "detach", false},
    Flag{'e', "env", true},          Flag{0, "env-file", true},   Flag{'w', "workdir", true},
    Flag{'u', "user", true},         Flag{0, "privileged", false}, Flag{0, "detach-keys", true},
    Flag{'h', "help", false},
};

const Flag* find_flag(std::string_view long_name, char short_name) {
  for (const auto& f : kFlags)
    if ((short_name != 0 && f.short_name == short_name) || (!long_name.empty() && f.long_name == long_name))
      return &f;
  return nullptr;
}

util::Result<void> apply(ExecArgs& spec, const Flag& f, const std::string& value, const EnvLookup& lookup,
                         std::vector<std::string>& env_files) {
  const std::string_view n = f.long_name;
  if (n == "interactive") spec.interactive = true;
  else if (n == "tty") spec.tty = true;
  else if (n == "detach") spec.detach = true;
  else if (n == "privileged") spec.privileged = true;
  else if (n == "help") spec.help = true;
  else if (n == "workdir") spec.workdir = value;
  else if (n == "user") spec.user = value;
  else if (n == "detach-keys") spec.detach_keys = value;
  else if (n == "env-file") env_files.push_back(value);
  else if (n == "env") {
    SR_ASSIGN(std::string kv, resolve_env_flag(value, lookup));
    spec.env.push_back(std::move(kv));
  }
  return {};
}

}  // namespace

util::Result<ExecArgs> parse_exec_args(const std::vector<std::string>& args, const EnvLookup& lookup) {
  ExecArgs spec;
  std::vector<std::string> env_files;
  std::size_t i = 0;
  auto value_for = [&](const Flag& f, std::string_view inline_value,
                       std::string_view shown) -> util::Result<std::string> {
    if (!f.takes_value) return std::string();
    if (!inline_value.empty()) return std::string(inline_value);
    if (i + 1 >= args.size())
      return util::fail(ErrorKind::invalid_argument, "flag needs an argument: " + std::string(shown));
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") { ++i; break; }
    if (a.size() < 2 || a[0] != '-') break;
    if (a.starts_with("--")) {
      auto eq = a.find('=');
      std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      const Flag* f = find_flag(name, 0);
      if (f == nullptr) return util::fail(ErrorKind::invalid_argument, "unknown flag: --" + name);
      std::string inline_value = eq == std::string::npos ? std::string() : a.substr(eq + 1);
      if (!f->takes_value && eq != std::string::npos)
        return util::fail(ErrorKind::invalid_argument, "flag --" + name + " takes no value");
      SR_ASSIGN(std::string v, value_for(*f, inline_value, "--" + name));
      SR_TRY(apply(spec, *f, v, lookup, env_files));
      continue;
    }
    for (std::size_t k = 1; k < a.size(); ++k) {
      const Flag* f = find_flag({}, a[k]);
      if (f == nullptr)
        return util::fail(ErrorKind::invalid_argument, std::string("unknown shorthand flag: '") + a[k] + "' in " + a);
      std::string rest = f->takes_value ? a.substr(k + 1) : std::string();
      if (!rest.empty() && rest.front() == '=') rest.erase(0, 1);
      SR_ASSIGN(std::string v, value_for(*f, rest, std::string("-") + a[k]));
      SR_TRY(apply(spec, *f, v, lookup, env_files));
      if (f->takes_value) break;
    }
  }
  if (spec.help) return spec;
  if (args.size() - i < 2)
    return util::fail(ErrorKind::invalid_argument, "'sandbox-run exec' requires at least 2 arguments");
  spec.container = args[i];
  spec.cmd.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  // The CLI puts --env-file values first and -e after them.
  std::vector<std::string> env;
  for (const auto& path : env_files) {
    SR_ASSIGN(auto lines, read_env_file(path, lookup));
    env.insert(env.end(), lines.begin(), lines.end());
  }
  env.insert(env.end(), spec.env.begin(), spec.env.end());
  spec.env = std::move(env);
  return spec;
}

std::string exec_usage_text() {
  return "Usage:  sandbox-run exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
         "Execute a command in a running sandbox (one sandbox-run started)\n\n"
         "Options:\n"
         "  -d, --detach               Detached mode: run command in the background\n"
         "      --detach-keys string   Override the key sequence for detaching a container\n"
         "  -e, --env list             Set environment variables\n"
         "      --env-file list        Read in a file of environment variables\n"
         "  -i, --interactive          Keep STDIN open even if not attached\n"
         "      --privileged           Give extended privileges to the command\n"
         "  -t, --tty                  Allocate a pseudo-TTY\n"
         "  -u, --user string          Username or UID (format: \"<name|uid>[:<group|gid>]\")\n"
         "  -w, --workdir string       Working directory inside the container\n";
}

}  // namespace sr::cli
