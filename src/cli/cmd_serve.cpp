// `sandbox-egress serve`: the built-in engine's command line (proxy/server
// runs it). Engine-only settings are flags, so that proxy.yaml stays
// acceptable to iron-proxy v0.39. Exit codes: 0 after a graceful shutdown, 1
// on a startup failure (invalid config, a listener that cannot bind), 2 on usage.
#include "cli/commands.hpp"

#include <cctype>
#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "proxy/policy/rules.hpp"
#include "proxy/server.hpp"
#include "util/duration.hpp"

namespace sr::cli {

using proxy::ClientTimeouts;
using proxy::Server;
using proxy::ServeOptions;

namespace {

constexpr const char* kUsage =
    "Usage: sandbox-egress serve --config PATH [OPTIONS]\n"
    "\n"
    "Runs the built-in credential-injecting egress proxy in the foreground.\n"
    "\n"
    "Options:\n"
    "  --config PATH             proxy.yaml to serve (required)\n"
    "  --narrowings PATH         per-sandbox narrowings (narrowings.json), read at start\n"
    "                            and on every reload; a file that does not load is an error\n"
    "  --audit-log PATH          JSON-lines audit log, created 0600 (default: stderr)\n"
    "  --resolve HOST:PORT:ADDR  dial ADDR instead of resolving HOST for PORT (repeatable;\n"
    "                            deny CIDRs still apply to ADDR)\n"
    "  --listen-extra ADDR       an extra CONNECT/forward listener, e.g. 127.0.0.1:9099\n"
    "  --threads N               event loop threads (default 2)\n"
    "  --upstream-idle N         idle upstream keep-alive connections kept per host and\n"
    "                            event loop (default 256; 0 = a new connection per request)\n"
    "  --max-client-connections N\n"
    "                            concurrent client connections per client address\n"
    "                            (default 256); more are answered 503 and closed\n"
    "  --max-connections N       concurrent client connections in total (default: half\n"
    "                            the open-file limit less 128, at most 4096)\n"
    "  --client-idle DURATION    close a client connection idle between requests this long\n"
    "                            (default 120s; a Go duration: 90s, 2m, 500ms)\n"
    "  --websocket-idle DURATION close a WebSocket that carried no byte either way this\n"
    "                            long (default 10m)\n"
    "\n"
    "Signals: SIGHUP reloads proxy.yaml; SIGTERM/SIGINT drain (up to 10 s) and exit 0.\n";

// HOST:PORT:ADDR; ADDR may be a bracketed IPv6 literal.
bool add_resolve(ServeOptions& o, const std::string& v) {
  std::size_t first = v.find(':');
  if (first == std::string::npos) return false;
  std::size_t second = v.find(':', first + 1);
  if (second == std::string::npos || first == 0 || second + 1 >= v.size()) return false;
  std::string host = v.substr(0, first);
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  o.resolve[host + ":" + v.substr(first + 1, second - first - 1)] = v.substr(second + 1);
  return true;
}

// A whole decimal number in [low, high].
std::optional<std::size_t> parse_count(const std::string& v, std::size_t low, std::size_t high) {
  try {
    std::size_t used = 0;
    unsigned long n = std::stoul(v, &used);
    if (used != v.size() || v.front() == '-' || n < low || n > high) return std::nullopt;
    return n;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Every flag takes one value, checked and stored by `apply` (false: a bad
// value); a flag given twice keeps the last value, as pflag does.
void add_flag(CLI::App& app, ServeOptions& o, const std::string& name,
              std::function<bool(ServeOptions&, const std::string&)> apply) {
  app.add_option_function<std::string>(
         name,
         [&o, name, apply = std::move(apply)](const std::string& v) {
           if (!apply(o, v)) throw CLI::ValidationError("invalid value for " + name + ": '" + v + "'");
         })
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// Repeatable: each occurrence adds one value.
void add_list(CLI::App& app, ServeOptions& o, const std::string& name,
              std::function<bool(ServeOptions&, const std::string&)> apply) {
  app.add_option_function<std::vector<std::string>>(name, [&o, name, apply = std::move(apply)](
                                                              const std::vector<std::string>& values) {
    for (const auto& v : values)
      if (!apply(o, v)) throw CLI::ValidationError("invalid value for " + name + ": '" + v + "'");
  });
}

std::function<bool(ServeOptions&, const std::string&)> count_flag(std::size_t ServeOptions::*field,
                                                                  std::size_t low, std::size_t high) {
  return [=](ServeOptions& o, const std::string& v) {
    auto n = parse_count(v, low, high);
    if (n) o.*field = *n;
    return n.has_value();
  };
}

// A Go duration ("90s", "2m"), more than zero.
std::function<bool(ServeOptions&, const std::string&)> duration_flag(
    std::chrono::milliseconds ClientTimeouts::*field) {
  return [=](ServeOptions& o, const std::string& v) {
    auto d = util::parse_go_duration(v);
    if (!d || d->count() <= 0) return false;
    o.timeouts.*field = std::chrono::ceil<std::chrono::milliseconds>(*d);
    return true;
  };
}

void add_flags(CLI::App& app, ServeOptions& o) {
  add_flag(app, o, "--config", [](ServeOptions& s, const std::string& v) { s.config_path = v; return true; });
  add_flag(app, o, "--audit-log", [](ServeOptions& s, const std::string& v) { s.audit_log = v; return true; });
  add_flag(app, o, "--narrowings",
           [](ServeOptions& s, const std::string& v) { s.narrowings_path = v; return true; });
  add_list(app, o, "--resolve", add_resolve);
  add_list(app, o, "--listen-extra",
           [](ServeOptions& s, const std::string& v) { s.listen_extra.push_back(v); return true; });
  add_flag(app, o, "--threads", [](ServeOptions& s, const std::string& v) {
    auto n = parse_count(v, 1, 64);
    if (n) s.threads = static_cast<unsigned>(*n);
    return n.has_value();
  });
  add_flag(app, o, "--upstream-idle", count_flag(&ServeOptions::upstream_idle_per_host, 0, 100'000));
  add_flag(app, o, "--max-client-connections", count_flag(&ServeOptions::max_client_connections, 1, 1'000'000));
  add_flag(app, o, "--max-connections", count_flag(&ServeOptions::max_connections, 1, 1'000'000));
  add_flag(app, o, "--client-idle", duration_flag(&ClientTimeouts::idle));
  add_flag(app, o, "--websocket-idle", duration_flag(&ClientTimeouts::websocket_idle));
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "sandbox-egress serve: error: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int cmd_serve(std::span<const std::string> args) {
  ServeOptions options;
  CLI::App app{"Runs the built-in credential-injecting egress proxy in the foreground.", "serve"};
  add_flags(app, options);
  // CLI11 consumes a vector in reverse order.
  std::vector<std::string> rev(args.rbegin(), args.rend());
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    std::fputs(kUsage, stdout);  // the hand-laid table above, not CLI11's
    return 0;
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  if (options.config_path.empty()) return usage_error("--config is required");
  auto server = Server::create(std::move(options));
  if (!server) {
    std::fprintf(stderr, "sandbox-egress serve: error: %s\n", server.error().message.c_str());
    return 1;
  }
  return (*server)->run();
}

}  // namespace sr::cli
