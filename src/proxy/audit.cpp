#include "proxy/audit.hpp"

namespace sr::proxy {
std::string strip_query_values(std::string_view target) { return std::string(target); }  // STUB
std::string format_time(std::chrono::system_clock::time_point) { return {}; }
util::Result<std::unique_ptr<AuditLog>> AuditLog::open_file(const std::filesystem::path&) {
  return util::fail(util::ErrorKind::generic, "AuditLog: not implemented yet");
}
util::Result<std::unique_ptr<AuditLog>> AuditLog::to_stderr() {
  return util::fail(util::ErrorKind::generic, "AuditLog: not implemented yet");
}
std::string AuditLog::format(const AuditRecord&, const SecretSet*) { return {}; }
void AuditLog::write(const AuditRecord&, const SecretSet*) noexcept {}
std::uint64_t AuditLog::write_failures() const { return 0; }
}  // namespace sr::proxy
