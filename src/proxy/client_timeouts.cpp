#include "proxy/client_timeouts.hpp"

namespace sr::proxy {

namespace {
ClientTimeouts g_timeouts;
}  // namespace

const ClientTimeouts& client_timeouts() { return g_timeouts; }

void set_client_timeouts(const ClientTimeouts& timeouts) { g_timeouts = timeouts; }

}  // namespace sr::proxy
