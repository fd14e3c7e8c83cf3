// The launch side of per-sandbox narrowing: adding and removing entries of
// narrowings.json (proxyconf/narrowings.hpp) under an exclusive lock
// (narrowings.lock, flock), each rewrite atomic and 0600.
//
// Contract: entries are only removed when their sandbox is known to be gone
// (removed by id, or pruned when no container carries the entry's label and
// its launcher is dead); when that cannot be told, they stay. A stale entry
// only narrows whatever later gets its address, never widens.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <set>
#include <string>

#include "egress/paths.hpp"
#include "proxyconf/narrowings.hpp"
#include "util/error.hpp"

namespace sr::egress {

inline constexpr std::string_view kNarrowingLabel = "io.sandbox-run.egress.narrowing";

struct Liveness {
  // The entry ids (kNarrowingLabel values) of every existing container,
  // running or not; an error keeps every entry.
  std::function<util::Result<std::set<std::string>>()> labelled_ids;
  std::function<bool(std::int64_t pid)> owner_alive;
};

// Prunes stale entries, then adds `entry` with a free address chosen by
// `pick` (given the addresses in use by other entries), and writes the file.
// Returns the entry as written.
util::Result<proxyconf::SandboxNarrowing> add_narrowing(
    const Paths& paths, proxyconf::SandboxNarrowing entry, const Liveness& live,
    const std::function<util::Result<std::string>(const std::set<std::string>& taken)>& pick);

// Removes the entry `id` (absent: nothing to do).
util::Result<void> remove_narrowing(const Paths& paths, const std::string& id);

// Removes stale entries; returns how many.
util::Result<std::size_t> prune_narrowings(const Paths& paths, const Liveness& live);

// A random host address of the IPv4 `subnet` ("172.18.0.0/16") from its upper
// half (Docker hands out dynamic addresses from the bottom), outside
// `taken` and never the network, broadcast or `gateway` address.
util::Result<std::string> pick_address(const std::string& subnet, const std::string& gateway,
                                       const std::set<std::string>& taken, std::mt19937_64& rng);

}  // namespace sr::egress
