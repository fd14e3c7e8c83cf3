#include "proxy/cidr.hpp"

namespace sr::proxy {
std::string Cidr::to_string() const { return {}; }  // STUB
util::Result<Cidr> parse_cidr(std::string_view) {
  return util::fail(util::ErrorKind::generic, "parse_cidr: not implemented yet");
}
util::Result<CidrSet> CidrSet::create(const std::vector<std::string>&) {
  return util::fail(util::ErrorKind::generic, "CidrSet: not implemented yet");
}
bool CidrSet::contains(const boost::asio::ip::address&) const { return true; }
std::optional<Cidr> CidrSet::find(const boost::asio::ip::address&) const { return std::nullopt; }
}  // namespace sr::proxy
