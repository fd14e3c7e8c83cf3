#include "cli/error_report.hpp"

#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

namespace sr::cli {
namespace {

std::optional<ErrorFormat> parse_format(std::string_view v) {
  if (v == "json") return ErrorFormat::json;
  if (v == "text") return ErrorFormat::text;
  return std::nullopt;
}

}  // namespace

ErrorFormat error_format_from(std::span<const std::string> args) {
  std::optional<ErrorFormat> f;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--error-format" && i + 1 < args.size()) f = parse_format(args[i + 1]).value_or(ErrorFormat::text);
    else if (args[i].rfind("--error-format=", 0) == 0) f = parse_format(args[i].substr(15)).value_or(ErrorFormat::text);
  }
  if (f) return *f;
  if (const char* env = std::getenv("SANDBOX_RUN_ERROR_FORMAT")) return parse_format(env).value_or(ErrorFormat::text);
  return ErrorFormat::text;
}

std::string_view error_kind(const util::Error& e) {
  const std::string& m = e.message;
  if (m.find("egress daemon is not running") != std::string::npos ||
      m.find("is not accepting connections") != std::string::npos)
    return "daemon_dead";
  switch (e.kind) {
    case util::ErrorKind::security: return "egress_refused";
    case util::ErrorKind::connect:
    case util::ErrorKind::timeout: return "docker_unreachable";
    case util::ErrorKind::invalid_argument: return m.find("config") != std::string::npos ? "config" : "usage";
    default: return "launcher";
  }
}

void ErrorReport::error(std::string_view kind, const std::string& message, std::string_view hint) {
  constexpr std::string_view kFix = "; fix: ";
  if (format_ == ErrorFormat::text) {
    std::fprintf(out_, "sandbox-run: error: %s\n", message.c_str());
    if (!hint.empty()) std::fprintf(out_, "%.*s\n", static_cast<int>(hint.size()), hint.data());
    return;
  }
  std::string text = message, fix;
  if (auto at = message.find(kFix); at != std::string::npos) {
    text = message.substr(0, at);
    fix = message.substr(at + kFix.size());
  }
  nlohmann::json out = {{"error", {{"kind", kind}, {"message", text}, {"fix", fix}}}};
  std::fprintf(out_, "%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void ErrorReport::warning(const std::string& message) {
  std::fprintf(out_, "sandbox-run: warning: %s\n", message.c_str());
}

void ErrorReport::note(const std::string& message) { std::fprintf(out_, "sandbox-run: note: %s\n", message.c_str()); }

}  // namespace sr::cli
