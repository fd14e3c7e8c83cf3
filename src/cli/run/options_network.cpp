// `docker run` rows for name resolution, exposed ports and the container's
// endpoint on its network (docker/cli opts.go parse() and
// parseNetworkAttachmentOpt; the endpoint is assembled in spec_assembly.cpp).
#include <array>

#include "cli/run/option_rows.hpp"

namespace sr::cli::rows {
namespace {

template <auto Parse>
Result<void> push_host(B b, const char* key, V v) {
  SR_ASSIGN(auto entry, Parse(v));
  b.host[key].push_back(std::move(entry));
  return {};
}

// --ip/--ip6 are judged by the daemon ("invalid IPv4 address"), as with the
// CLI; --mac-address once all flags are read.
Result<void> set_text(std::string& target, V v) {
  target = v;
  return {};
}

constexpr std::array kRows = {
    OptionDef{"dns", 0, S, A, "list", "Set custom DNS servers",
              [](B b, V v) { return push_host<parse_dns_server>(b, "Dns", v); }},
    OptionDef{"dns-option", 0, S, A, "list", "Set DNS options (alias --dns-opt)",
              [](B b, V v) -> Result<void> { b.host["DnsOptions"].push_back(v); return {}; }},
    OptionDef{"dns-search", 0, S, A, "list", "Set custom DNS search domains",
              [](B b, V v) { return push_host<parse_dns_search>(b, "DnsSearch", v); }},
    OptionDef{"domainname", 0, S, L, "string", "Container NIS domain name",
              [](B b, V v) -> Result<void> { b.config["Domainname"] = v; return {}; }},
    OptionDef{"expose", 0, S, A, "list", "Expose a port or a range of ports",
              [](B b, V v) -> Result<void> { b.expose.push_back(v); return {}; }},
    OptionDef{"ip", 0, S, L, "string", "IPv4 address (e.g., 172.30.100.104)",
              [](B b, V v) { return set_text(b.endpoint.ipv4, v); }},
    OptionDef{"ip6", 0, S, L, "string", "IPv6 address (e.g., 2001:db8::33)",
              [](B b, V v) { return set_text(b.endpoint.ipv6, v); }},
    OptionDef{"link", 0, S, A, "list", "Add link to another container",
              [](B b, V v) -> Result<void> {
                SR_ASSIGN(auto link, parse_link(v));
                b.endpoint.links.push_back(std::move(link));
                return {};
              }},
    OptionDef{"link-local-ip", 0, S, A, "list", "Container IPv4/IPv6 link-local addresses",
              [](B b, V v) -> Result<void> { b.endpoint.link_local_ips.push_back(v); return {}; }},
    OptionDef{"mac-address", 0, S, L, "string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)",
              [](B b, V v) { return set_text(b.endpoint.mac, v); }},
    OptionDef{"network-alias", 0, S, A, "list", "Add network-scoped alias for the container (alias --net-alias)",
              [](B b, V v) -> Result<void> { b.endpoint.aliases.push_back(v); return {}; }},
    OptionDef{"publish-all", 'P', F, L, "", "Publish all exposed ports to random ports",
              [](B b, V v) { return set_json_bool(b.host, "PublishAllPorts", v); }},
};

}  // namespace

std::span<const OptionDef> network_options() { return kRows; }

}  // namespace sr::cli::rows
