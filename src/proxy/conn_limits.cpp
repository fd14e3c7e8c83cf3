#include "proxy/conn_limits.hpp"

namespace sr::proxy {

namespace {

boost::asio::ip::address canonical(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

ConnLimits::Slot::~Slot() {
  if (owner_) owner_->release(addr_);
}

std::expected<ConnLimits::Slot, ConnLimit> ConnLimits::admit(const boost::asio::ip::address& client) {
  auto addr = canonical(client);
  std::lock_guard lock(mu_);
  if (total_ >= settings_.total) return std::unexpected(ConnLimit::total);
  auto& n = per_client_[addr];
  if (n >= settings_.per_client) return std::unexpected(ConnLimit::per_client);
  ++n;
  ++total_;
  return Slot(this, addr);
}

void ConnLimits::release(const boost::asio::ip::address& addr) {
  std::lock_guard lock(mu_);
  auto it = per_client_.find(addr);
  if (it == per_client_.end()) return;
  if (--it->second == 0) per_client_.erase(it);
  --total_;
}

std::size_t ConnLimits::open(const boost::asio::ip::address& client) const {
  std::lock_guard lock(mu_);
  auto it = per_client_.find(canonical(client));
  return it == per_client_.end() ? 0 : it->second;
}

std::size_t ConnLimits::open_total() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace sr::proxy
