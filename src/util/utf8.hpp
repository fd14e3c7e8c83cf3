// UTF-8 well-formedness, for text formats that must be UTF-8 (env files,
// config.yaml) so that a bad byte is refused where it is read, naming the
// line, instead of failing later in a JSON or YAML writer.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace sr::util {

// Well-formed UTF-8: no overlong forms, surrogates or code points past
// U+10FFFF (as Go's utf8.Valid, which the Docker CLI applies to env files).
bool valid_utf8(std::string_view s);

// The 1-based line of the first ill-formed byte sequence; nullopt when all is valid.
std::optional<std::size_t> first_invalid_utf8_line(std::string_view s);

}  // namespace sr::util
