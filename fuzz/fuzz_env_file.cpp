// Env files: --env-file content (cli/run/env_file, the Docker CLI's rules)
// and dotenv files (util/dotenv, the egress credential source). Properties
// beyond "no crash":
//  - --env-file: every entry is NAME=VALUE with a non-empty NAME free of
//    whitespace, and "NAME" alone resolves through the lookup only;
//  - dotenv: errors start with the source name and a line number and never
//    quote a value; keys are valid names.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "cli/run/env_file.hpp"
#include "util/dotenv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  const sr::cli::EnvLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/home/fuzz");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
  };
  if (auto lines = sr::cli::parse_env_file(text, lookup)) {
    for (const auto& l : *lines) {
      auto eq = l.find('=');
      if (eq == std::string::npos || eq == 0) std::abort();
      if (l.substr(0, eq).find_first_of(" \t\n\v\f\r") != std::string::npos) std::abort();
    }
  } else if (lines.error().message.empty()) {
    std::abort();
  }

  if (auto env = sr::util::parse_dotenv(text, "fuzz.env")) {
    for (const auto& [k, v] : *env)
      if (!sr::util::valid_dotenv_key(k)) std::abort();
  } else {
    const std::string& msg = env.error().message;
    if (msg.rfind("fuzz.env:", 0) != 0) std::abort();
    // A value never appears in an error: the failing line's text after '='
    // does not show up (unless it is also part of the name, which is quoted
    // when invalid). Checked for values long enough not to collide with the
    // fixed wording.
    const auto colon = msg.find(':', 9);
    const auto line_no = std::strtoul(msg.c_str() + 9, nullptr, 10);
    if (colon == std::string::npos || line_no == 0) std::abort();
    std::istringstream in(text);
    std::string line;
    for (unsigned long i = 0; i < line_no; ++i)
      if (!std::getline(in, line)) std::abort();  // the line it names exists
    const auto eq = line.find('=');
    if (eq != std::string::npos) {
      const std::string value = line.substr(eq + 1);
      if (value.size() >= 12 && value.find_first_of("=:' ") == std::string::npos &&
          line.substr(0, eq).find(value) == std::string::npos && msg.find(value) != std::string::npos)
        std::abort();
    }
  }
  return 0;
}
