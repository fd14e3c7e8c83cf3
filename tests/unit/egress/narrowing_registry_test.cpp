// narrowings.json from the launch side (egress/narrowing_registry.hpp):
// entries added 0600 with a free address, removed by id, pruned only when
// their sandbox is known to be gone.
#include <catch2/catch.hpp>

#include "egress/narrowing_registry.hpp"
#include "state_test_support.hpp"

using namespace sr::egress;
using sr::proxyconf::SandboxNarrowing;

namespace {

Paths home_in(const sr_test::TempDir& t) {
  Paths p{t.path};
  std::filesystem::create_directory(p.state_dir());
  return p;
}

Liveness live(std::set<std::string> ids, std::set<std::int64_t> pids) {
  return Liveness{[ids] { return sr::util::Result<std::set<std::string>>(ids); },
                  [pids](std::int64_t pid) { return pids.contains(pid); }};
}

auto fixed(std::string a) {
  return [a](const std::set<std::string>& taken) -> sr::util::Result<std::string> {
    REQUIRE_FALSE(taken.contains(a));
    return a;
  };
}

std::vector<SandboxNarrowing> entries(const Paths& p) {
  auto r = sr::proxyconf::load_narrowings(p.narrowings());
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("narrowing registry: add, prune and remove") {
  sr_test::TempDir t;
  auto paths = home_in(t);
  auto added = add_narrowing(paths, {"a", "", "profile docs", {"pypi.org"}, 100, 1}, live({}, {100}), fixed("172.18.200.7"));
  REQUIRE(added);
  CHECK(added->address == "172.18.200.7");
  CHECK(sr_test::mode_of(paths.narrowings()) == 0600);
  REQUIRE(add_narrowing(paths, {"b", "", "--egress-allow", {"pypi.org"}, 101, 1}, live({"a"}, {101}),
                        fixed("172.18.200.8")));
  CHECK(entries(paths).size() == 2);

  SECTION("an entry whose container exists, or whose launcher lives, is kept") {
    auto n = prune_narrowings(paths, live({"a"}, {101}));
    REQUIRE(n);
    CHECK(*n == 0);
  }
  SECTION("an entry with neither is pruned") {
    auto n = prune_narrowings(paths, live({"b"}, {}));
    REQUIRE(n);
    CHECK(*n == 1);
    REQUIRE(entries(paths).size() == 1);
    CHECK(entries(paths)[0].id == "b");
  }
  SECTION("when the containers cannot be listed, nothing is pruned") {
    Liveness unknown{[]() -> sr::util::Result<std::set<std::string>> {
                       return sr::util::fail(sr::util::ErrorKind::connect, "no daemon");
                     },
                     [](std::int64_t) { return false; }};
    auto n = prune_narrowings(paths, unknown);
    REQUIRE(n);
    CHECK(*n == 0);
    CHECK(entries(paths).size() == 2);
  }
  SECTION("remove by id") {
    REQUIRE(remove_narrowing(paths, "a"));
    REQUIRE(remove_narrowing(paths, "a"));  // already gone
    REQUIRE(entries(paths).size() == 1);
    CHECK(entries(paths)[0].id == "b");
  }
}

TEST_CASE("narrowing registry: a free address from the upper half of the subnet") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    auto a = pick_address("172.18.0.0/24", "172.18.0.1", {}, rng);
    REQUIRE(a);
    auto last = std::stoi(a->substr(a->rfind('.') + 1));
    CHECK(last >= 128);
    CHECK(last <= 254);
  }
  std::set<std::string> taken;
  for (int i = 129; i <= 254; ++i) taken.insert("172.18.0." + std::to_string(i));
  auto only = pick_address("172.18.0.0/24", "172.18.0.1", taken, rng);
  REQUIRE(only);
  CHECK(*only == "172.18.0.128");
  taken.insert("172.18.0.128");
  CHECK_FALSE(pick_address("172.18.0.0/24", "172.18.0.1", taken, rng));
  CHECK_FALSE(pick_address("fd00::/64", "", {}, rng));
}
