// dotenv files: KEY=VALUE lines, optional `export `, '#' comments, single
// quotes (literal) and double quotes (\n \" \\ escapes).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::util {

// A dotenv variable name: [A-Za-z_][A-Za-z0-9_]*.
bool valid_dotenv_key(std::string_view key);

// Errors read "<source_name>:<line>: message" and never quote a value.
Result<std::map<std::string, std::string>> parse_dotenv(const std::string& text,
                                                        const std::string& source_name);
Result<std::map<std::string, std::string>> load_dotenv(const std::filesystem::path& path);

}  // namespace sr::util
