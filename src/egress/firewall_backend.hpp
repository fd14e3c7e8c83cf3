// Which back end the firewall's `iptables`/`ip6tables` drive. Debian ships
// both behind update-alternatives: iptables-nft (the default, nf_tables) and
// iptables-legacy (the ip_tables kernel interface). The firewall and the
// interception work with either: the kernel runs both back ends' hooks, so
// rules made with the legacy tools apply beside dockerd's nf_tables rules
// (an accept must pass both INPUT chains; the first DNAT of a connection
// wins, and dockerd's only touch published ports).
//
// What does not work is this project's rules in *both*: a setup made before
// `update-alternatives --set iptables ...` leaves its SANDBOX-ISOLATION chain
// in the other back end, whose final REJECT then drops the proxy ports of a
// home set up later, and its nat jump keeps intercepting. The tools on PATH
// cannot see (or remove) those rules; setup and doctor report them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "egress/firewall.hpp"

namespace sr::egress {

enum class Backend { nft, legacy, unknown };

// From `iptables -V` ("iptables v1.8.9 (legacy)" / "(nf_tables)").
Backend iptables_backend(IptablesRunner& run);
std::string_view backend_name(Backend backend);  // "nft", "legacy", "unknown"

// This project's chains and nat jumps found with the back end PATH does not
// select (via iptables-nft / iptables-legacy and the ip6tables pair), one
// line each, naming the tool and what it holds; empty when there are none or
// the back end on PATH is unknown.
std::vector<std::string> other_backend_rules(IptablesRunner& run);

// What to do about other_backend_rules(): the commands that list and remove
// them with the other back end's tools.
std::string other_backend_fix(Backend on_path);

}  // namespace sr::egress
