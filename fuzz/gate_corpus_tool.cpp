// The gate fuzz target's corpus outside libFuzzer, built with the normal
// compiler in the test build:
//   gate_corpus_tool replay DIR...  runs fuzz_gate's invariants on every file
//                                    (what `fuzz_gate -runs=0 DIR` does)
//   gate_corpus_tool print DIR...   one JSON line per file: what the engine
//                                    writes upstream for it (the differential
//                                    check, tests/integration/proxy/gate_h11.py)
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <string>
#include <vector>

#include "gate_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> files_of(int argc, char** argv) {
  std::vector<std::filesystem::path> out;
  for (int i = 2; i < argc; ++i)
    for (const auto& e : std::filesystem::directory_iterator(argv[i]))
      if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const std::filesystem::path& p) {
  std::string out(std::filesystem::file_size(p), '\0');
  std::ifstream in(p, std::ios::binary);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

void print(const std::filesystem::path& p, const std::string& input) {
  using namespace gate_harness;
  Result r = run(input);
  nlohmann::json j;
  j["file"] = p.filename().string();
  j["stage"] = r.stage == Stage::forwarded ? "forwarded" : r.stage == Stage::refused ? "refused" : "incomplete";
  j["input_hex"] = hex(input.size() > 1 ? std::string_view(input).substr(1) : std::string_view{});
  if (r.request) {
    const auto& h = r.request->head;
    j["method"] = std::string(h.method_string());
    j["target"] = std::string(h.target());
    j["host"] = host_field(r.request->target);
    j["body_length"] = r.body.size();
    j["wire_hex"] = hex(r.wire);
  }
  std::cout << j.dump() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || (std::string_view(argv[1]) != "replay" && std::string_view(argv[1]) != "print")) {
    std::cerr << "usage: gate_corpus_tool replay|print DIR...\n";
    return 2;
  }
  bool replay = std::string_view(argv[1]) == "replay";
  auto files = files_of(argc, argv);
  for (const auto& p : files) {
    std::string input = slurp(p);
    if (replay)
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    else
      print(p, input);
  }
  if (replay) std::cerr << "gate_corpus_tool: " << files.size() << " inputs replayed\n";
  return files.empty() ? 1 : 0;
}
