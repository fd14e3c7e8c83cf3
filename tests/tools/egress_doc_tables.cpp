// Prints the generated sections of docs/user-guide.md (provider and preset
// tables), markers included, for pasting into the guide;
// tests/unit/egress/doc_tables_test.cpp fails until they match.
#include <cstdio>

#include "egress/doc_tables.hpp"

int main() {
  std::printf("<!-- generated: providers -->\n%s<!-- end generated: providers -->\n\n",
              sr::egress::providers_markdown().c_str());
  std::printf("<!-- generated: presets -->\n%s<!-- end generated: presets -->\n",
              sr::egress::presets_markdown().c_str());
  return 0;
}
