// -p/--publish, as go-connections/nat ParsePortSpec and docker/cli
// convertToStandardNotation read it.
#include <charconv>
#include <string>

#include "cli/run/values.hpp"
#include "util/host_port.hpp"

namespace sr::cli {
namespace {

using util::ErrorKind;
using util::fail;

struct PortRange {
  unsigned start = 0;
  unsigned end = 0;
};

bool parse_port_number(std::string_view s, unsigned& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size() && out <= 65535;
}

// "80" or "8000-8010"; a reversed range is an error.
bool parse_port_range(std::string_view s, PortRange& r) {
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    if (!parse_port_number(s, r.start)) return false;
    r.end = r.start;
    return true;
  }
  std::string_view second = s.substr(dash + 1);
  second = second.substr(0, second.find('-'));
  return parse_port_number(s.substr(0, dash), r.start) && parse_port_number(second, r.end) &&
         r.end >= r.start;
}

// The csv form "published=8080,target=80,protocol=udp" as "8080:80/udp".
util::Result<std::string> to_standard_notation(std::string_view s) {
  if (s.find('=') == std::string_view::npos) return std::string(s);
  std::string published, target, protocol = "tcp";
  while (true) {
    const auto comma = s.find(',');
    const std::string_view param = s.substr(0, comma);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return fail(ErrorKind::invalid_argument,
                  "invalid publish opts format (should be name=value but got '" +
                      std::string(param) + "')");
    const std::string_view key = param.substr(0, eq);
    const std::string value(param.substr(eq + 1));
    if (key == "published") published = value;
    if (key == "target") target = value;
    if (key == "protocol") protocol = value;
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return published + ":" + target + "/" + protocol;
}

struct PortParts {
  std::string ip, host_port, container_port, proto;
};

PortParts split_parts(std::string_view raw) {
  PortParts p;
  const auto last = raw.rfind(':');
  std::string_view container = last == std::string_view::npos ? raw : raw.substr(last + 1);
  if (last != std::string_view::npos) {
    const std::string_view head = raw.substr(0, last);
    const auto prev = head.rfind(':');
    p.host_port = prev == std::string_view::npos ? head : head.substr(prev + 1);
    if (prev != std::string_view::npos) p.ip = head.substr(0, prev);
  }
  // SplitProtoPort: "80" -> tcp; "80/" -> tcp; "/udp" -> no port.
  const auto slash = container.find('/');
  if (container.empty() || slash == 0) return p;
  p.container_port = container.substr(0, slash);
  std::string_view proto = slash == std::string_view::npos ? "" : container.substr(slash + 1);
  proto = proto.substr(0, proto.find('/'));
  p.proto = proto.empty() ? "tcp" : std::string(proto);
  return p;
}

}  // namespace

util::Result<std::vector<PortMapping>> parse_publish(std::string_view s) {
  SR_ASSIGN(const std::string raw, to_standard_notation(s));
  PortParts parts = split_parts(raw);
  parts.ip = std::string(util::strip_brackets(parts.ip));
  if (!parts.ip.empty() && !is_ip_address(parts.ip))
    return fail(ErrorKind::invalid_argument, "invalid IP address: " + parts.ip);
  if (parts.container_port.empty())
    return fail(ErrorKind::invalid_argument, "no port specified: " + raw + "<empty>");
  PortRange container, host;
  if (!parse_port_range(parts.container_port, container))
    return fail(ErrorKind::invalid_argument, "invalid containerPort: " + parts.container_port);
  if (!parts.host_port.empty() && !parse_port_range(parts.host_port, host))
    return fail(ErrorKind::invalid_argument, "invalid hostPort: " + parts.host_port);
  // A host range with a single container port is a range to allocate from.
  if (!parts.host_port.empty() && container.end - container.start != host.end - host.start &&
      container.end != container.start)
    return fail(ErrorKind::invalid_argument,
                "invalid ranges specified for container and host Ports: " +
                    parts.container_port + " and " + parts.host_port);
  std::string proto = parts.proto;
  for (auto& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    return fail(ErrorKind::invalid_argument, "invalid proto: " + parts.proto);

  std::vector<PortMapping> out;
  for (unsigned i = 0; i <= container.end - container.start; ++i) {
    PortMapping m{std::to_string(container.start + i) + "/" + proto, parts.ip, ""};
    if (!parts.host_port.empty()) {
      m.host_port = std::to_string(host.start + i);
      if (container.start == container.end && host.start != host.end)
        m.host_port += "-" + std::to_string(host.end);
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace sr::cli
