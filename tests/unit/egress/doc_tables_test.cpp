// docs/user-guide.md's provider and preset tables are the code's data: this
// fails when one changes without the other. To update the guide, paste the
// "expected" text this test prints between the markers.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "egress/doc_tables.hpp"

namespace {

std::string section(const std::string& doc, const std::string& name) {
  const std::string begin = "<!-- generated: " + name + " -->\n";
  const std::string end = "<!-- end generated: " + name + " -->";
  auto b = doc.find(begin);
  auto e = doc.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) return "(markers for " + name + " not found)";
  return doc.substr(b + begin.size(), e - b - begin.size());
}

std::string guide() {
  // SR_TEST_DATA_DIR is <source>/tests/unit/egress/data (it need not exist).
  const auto source = std::filesystem::path(SR_TEST_DATA_DIR).parent_path().parent_path().parent_path().parent_path();
  std::ifstream f(source / "docs" / "user-guide.md", std::ios::binary);
  std::ostringstream text;
  text << f.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("the user guide's provider and preset tables match the code") {
  const std::string doc = guide();
  REQUIRE_FALSE(doc.empty());
  CHECK(section(doc, "providers") == sr::egress::providers_markdown());
  CHECK(section(doc, "presets") == sr::egress::presets_markdown());
}
