// Caps on concurrent client connections, per client address and in total,
// so that one sandbox (one address) cannot take every connection slot or
// file descriptor of the engine. Checked when a connection is accepted,
// before any byte of it is read.
//
// Contract: thread-safe (the accept loop admits, each event loop releases).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <expected>
#include <map>
#include <mutex>

namespace sr::proxy {

struct ConnLimitSettings {
  std::size_t per_client = 256;  // per client IP address
  std::size_t total = 4096;
};

enum class ConnLimit { per_client, total };

class ConnLimits {
 public:
  explicit ConnLimits(ConnLimitSettings settings) : settings_(settings) {}

  // One admitted connection; gives its place back when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : owner_(other.owner_), addr_(other.addr_) { other.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot();

   private:
    friend class ConnLimits;
    Slot(ConnLimits* owner, boost::asio::ip::address addr) : owner_(owner), addr_(addr) {}
    ConnLimits* owner_;
    boost::asio::ip::address addr_;
  };

  // A slot for a new connection from `client`, or the cap it would exceed.
  // An IPv4-mapped IPv6 address counts as its IPv4 address.
  std::expected<Slot, ConnLimit> admit(const boost::asio::ip::address& client);

  [[nodiscard]] const ConnLimitSettings& settings() const { return settings_; }
  [[nodiscard]] std::size_t open(const boost::asio::ip::address& client) const;
  [[nodiscard]] std::size_t open_total() const;

 private:
  void release(const boost::asio::ip::address& client);

  ConnLimitSettings settings_;
  mutable std::mutex mu_;
  std::map<boost::asio::ip::address, std::size_t> per_client_;
  std::size_t total_ = 0;
};

}  // namespace sr::proxy
