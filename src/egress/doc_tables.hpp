// The provider and preset tables of docs/user-guide.md, generated from the
// same data the code uses (egress/providers.hpp, egress/presets.hpp); a unit
// test compares them with the text between the guide's markers
// `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`.
#pragma once

#include <string>

namespace sr::egress {

std::string providers_markdown();  // NAME "providers"
std::string presets_markdown();    // NAME "presets"

}  // namespace sr::egress
