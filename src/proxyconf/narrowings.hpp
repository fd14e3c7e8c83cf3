// The per-sandbox narrowing state file (narrowings.json in the egress state
// directory, 0600): which source address on the egress network is limited to
// which hosts. `sandbox-run --egress-allow/--egress-profile` writes it (under
// a lock, atomically) before the sandbox starts; the built-in engine reads it
// at start and on every reload (`serve --narrowings PATH`).
//
//   {"version": 1, "sandboxes": [{"id": "9f..", "address": "172.18.200.7",
//     "label": "profile docs", "hosts": ["pypi.org"], "owner_pid": 4242,
//     "created": 1760000000}]}
//
// Contract: a narrowing only ever removes hosts; an address that is listed
// twice is an error (two sandboxes cannot share one address), as is an entry
// with no hosts, so a malformed file stops the engine from loading instead of
// silently dropping a sandbox back to the full allowlist.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace sr::proxyconf {

struct SandboxNarrowing {
  std::string id;       // also the container label io.sandbox-run.egress.narrowing
  std::string address;  // canonical IPv4 text
  std::string label;    // for audit lines: "profile NAME", "--egress-allow", ...
  std::vector<std::string> hosts;  // exact or "*." wildcard, as the allowlist
  std::int64_t owner_pid = 0;      // the sandbox-run that registered it
  std::int64_t created = 0;        // unix seconds
};

// Parses the file's text; errors read "source: sandboxes[i].key: why".
util::Result<std::vector<SandboxNarrowing>> parse_narrowings(const std::string& text,
                                                             const std::string& source);
// Reads `path` (O_NOFOLLOW); a missing file is no narrowing at all.
util::Result<std::vector<SandboxNarrowing>> load_narrowings(const std::filesystem::path& path);
// Deterministic JSON text of `entries` (version 1).
std::string render_narrowings(const std::vector<SandboxNarrowing>& entries);

// "172.18.0.7" for a dotted-quad IPv4 address (leading zeros refused); "" otherwise.
std::string canonical_ipv4(const std::string& text);

}  // namespace sr::proxyconf
