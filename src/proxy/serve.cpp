// serve: the command; server: the event loops; engine: their shared state; session: a connection.
#include "proxy/serve.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>

#include "proxy/policy/rules.hpp"
#include "proxy/server.hpp"
#include "util/duration.hpp"

namespace sr::proxy {

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

struct Flag {
  std::string_view name;
  std::function<bool(ServeOptions&, const std::string&)> apply;  // false = bad value
};

bool add_resolve(ServeOptions& o, const std::string& v) {
  // HOST:PORT:ADDR; ADDR may be a bracketed IPv6 literal.
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

std::function<bool(ServeOptions&, const std::string&)> count_flag(std::size_t ServeOptions::*field,
                                                                  std::size_t low) {
  return [=](ServeOptions& o, const std::string& v) {
    auto n = parse_count(v, low, 1'000'000);
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

const std::vector<Flag>& flags() {
  static const std::vector<Flag> table = {
      {"--config", [](ServeOptions& o, const std::string& v) { o.config_path = v; return true; }},
      {"--audit-log", [](ServeOptions& o, const std::string& v) { o.audit_log = v; return true; }},
      {"--narrowings", [](ServeOptions& o, const std::string& v) { o.narrowings_path = v; return true; }},
      {"--resolve", add_resolve},
      {"--listen-extra",
       [](ServeOptions& o, const std::string& v) { o.listen_extra.push_back(v); return true; }},
      {"--threads",
       [](ServeOptions& o, const std::string& v) {
         auto n = parse_count(v, 1, 64);
         if (n) o.threads = static_cast<unsigned>(*n);
         return n.has_value();
       }},
      {"--upstream-idle",
       [](ServeOptions& o, const std::string& v) {
         auto n = parse_count(v, 0, 100'000);
         if (n) o.upstream_idle_per_host = *n;
         return n.has_value();
       }},
      {"--max-client-connections", count_flag(&ServeOptions::max_client_connections, 1)},
      {"--max-connections", count_flag(&ServeOptions::max_connections, 1)},
      {"--client-idle", duration_flag(&ClientTimeouts::idle)},
      {"--websocket-idle", duration_flag(&ClientTimeouts::websocket_idle)},
  };
  return table;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "sandbox-egress serve: error: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int cmd_serve(std::span<const std::string> args) {
  ServeOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    auto flag = std::find_if(flags().begin(), flags().end(),
                             [&](const Flag& f) { return f.name == arg; });
    if (flag == flags().end()) return usage_error("unknown option '" + arg + "'");
    if (!inline_value) {
      if (i + 1 >= args.size()) return usage_error(arg + " needs a value");
      value = args[++i];
    }
    if (!flag->apply(options, value)) return usage_error("invalid value for " + arg + ": '" + value + "'");
  }
  if (options.config_path.empty()) return usage_error("--config is required");
  auto server = Server::create(std::move(options));
  if (!server) {
    std::fprintf(stderr, "sandbox-egress serve: error: %s\n", server.error().message.c_str());
    return 1;
  }
  return (*server)->run();
}

}  // namespace sr::proxy
