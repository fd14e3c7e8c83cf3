#include "proxy/policy/narrowing.hpp"

namespace sr::proxy {

util::Result<NarrowingTable> NarrowingTable::create(const std::vector<proxyconf::SandboxNarrowing>& entries) {
  NarrowingTable t;
  for (const auto& e : entries) {
    SR_ASSIGN(auto hosts, util::with_context(HostMatcher::create(e.hosts), "narrowing " + e.id + " (" + e.address + ")"));
    t.by_address_[e.address] = Narrowing{e.label.empty() ? std::string("narrowed") : e.label, std::move(hosts)};
  }
  return t;
}

const Narrowing* NarrowingTable::find(std::string_view address) const {
  if (by_address_.empty()) return nullptr;
  // A dual-stack listener reports an IPv4 peer as ::ffff:a.b.c.d.
  constexpr std::string_view mapped = "::ffff:";
  if (address.size() > mapped.size() && address.substr(0, mapped.size()) == mapped &&
      address.find('.') != std::string_view::npos)
    address.remove_prefix(mapped.size());
  auto it = by_address_.find(address);
  return it == by_address_.end() ? nullptr : &it->second;
}

std::string narrowing_refusal(const Narrowing& n, std::string_view host) {
  return "host " + std::string(host) + " is outside this sandbox's narrowing (" + n.label + ")";
}

}  // namespace sr::proxy
