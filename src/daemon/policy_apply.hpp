// After a command changed the policy in config.yaml (allow, deny, secrets,
// config set): proxy.yaml, mappings.json and a running daemon are brought in
// line without running setup again (no CA, network or firewall step).
#pragma once

#include <string>
#include <vector>

#include "egress/discovery.hpp"
#include "egress/paths.hpp"
#include "util/error.hpp"

namespace sr::daemon {

// Contract:
//  - egress never set up (no proxy.yaml): nothing is rendered, one note says
//    that setup will use the new settings;
//  - mappings.json: a credential that is no longer declared loses its
//    token; a newly known one whose value `present` finds gets one; every
//    other token is kept (a value missing from this shell drops nothing);
//  - proxy.yaml is rendered again with the listeners it has (the bind
//    address is kept), written atomically 0600;
//  - a running daemon of ours re-reads it (POST /v1/reload: no connection is
//    dropped), unless a new credential was minted: the daemon has no value
//    for it, and a note says to restart it.
// Returns the notes for the user, in order.
util::Result<std::vector<std::string>> apply_policy(const egress::Paths& paths, const egress::PresenceLookup& present);

}  // namespace sr::daemon
