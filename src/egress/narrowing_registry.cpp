#include "egress/narrowing_registry.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "util/atomic_file.hpp"
#include "util/unique_fd.hpp"

namespace sr::egress {
namespace {

using proxyconf::SandboxNarrowing;

// Held for one read-modify-write of narrowings.json; released on close.
util::Result<util::UniqueFd> lock(const Paths& paths) {
  const auto path = paths.narrowings_lock();
  util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return util::fail_errno("opening " + path.string());
  if (::flock(fd.get(), LOCK_EX) != 0) return util::fail_errno("locking " + path.string());
  return fd;
}

util::Result<void> save(const Paths& paths, const std::vector<SandboxNarrowing>& entries) {
  SR_ASSIGN(auto file, util::AtomicFile::create(paths.narrowings(), 0600));
  SR_TRY(file.write(proxyconf::render_narrowings(entries)));
  return file.commit();
}

util::Result<std::size_t> prune_locked(const Paths& paths, std::vector<SandboxNarrowing>& entries,
                                       const Liveness& live) {
  auto ids = live.labelled_ids();
  if (!ids) return 0;  // cannot tell: keep everything
  auto stale = [&](const SandboxNarrowing& e) { return !ids->contains(e.id) && !live.owner_alive(e.owner_pid); };
  auto removed = static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), stale));
  if (removed == 0) return 0;
  std::erase_if(entries, stale);
  SR_TRY(save(paths, entries));
  return removed;
}

std::optional<std::uint32_t> ipv4(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string ipv4_text(std::uint32_t v) {
  in_addr a{htonl(v)};
  char buf[INET_ADDRSTRLEN];
  return ::inet_ntop(AF_INET, &a, buf, sizeof buf) ? std::string(buf) : std::string();
}

}  // namespace

util::Result<SandboxNarrowing> add_narrowing(
    const Paths& paths, SandboxNarrowing entry, const Liveness& live,
    const std::function<util::Result<std::string>(const std::set<std::string>& taken)>& pick) {
  SR_ASSIGN(auto held, lock(paths));
  SR_ASSIGN(auto entries, proxyconf::load_narrowings(paths.narrowings()));
  SR_TRY(prune_locked(paths, entries, live));
  std::set<std::string> taken;
  for (const auto& e : entries) taken.insert(e.address);
  SR_ASSIGN(entry.address, pick(taken));
  entries.push_back(entry);
  SR_TRY(util::with_context(save(paths, entries), "writing " + paths.narrowings().string()));
  return entry;
}

util::Result<void> remove_narrowing(const Paths& paths, const std::string& id) {
  SR_ASSIGN(auto held, lock(paths));
  SR_ASSIGN(auto entries, proxyconf::load_narrowings(paths.narrowings()));
  if (std::erase_if(entries, [&](const SandboxNarrowing& e) { return e.id == id; }) == 0) return {};
  return util::with_context(save(paths, entries), "writing " + paths.narrowings().string());
}

util::Result<std::size_t> prune_narrowings(const Paths& paths, const Liveness& live) {
  SR_ASSIGN(auto held, lock(paths));
  SR_ASSIGN(auto entries, proxyconf::load_narrowings(paths.narrowings()));
  return prune_locked(paths, entries, live);
}

util::Result<std::string> pick_address(const std::string& subnet, const std::string& gateway,
                                       const std::set<std::string>& taken, std::mt19937_64& rng) {
  auto slash = subnet.find('/');
  auto base = ipv4(subnet.substr(0, slash));
  int prefix = slash == std::string::npos ? -1 : std::atoi(subnet.c_str() + slash + 1);
  if (!base || prefix < 8 || prefix > 29)
    return util::fail(util::ErrorKind::invalid_argument, "network subnet " + subnet + " is not an IPv4 /8../29 subnet");
  const std::uint32_t size = 1u << (32 - prefix);
  const std::uint32_t net = *base & ~(size - 1);
  const std::uint32_t low = net + size / 2;
  const std::uint32_t count = size / 2 - 1;  // the broadcast address excluded
  std::uniform_int_distribution<std::uint32_t> dist(0, count - 1);
  for (int attempt = 0; attempt < 256; ++attempt) {
    std::string a = ipv4_text(low + dist(rng));
    if (a != gateway && !taken.contains(a)) return a;
  }
  return util::fail(util::ErrorKind::conflict, "no free address for a narrowed sandbox in " + subnet);
}

}  // namespace sr::egress
