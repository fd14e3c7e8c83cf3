// Runs a container the way `docker run` does: pull per policy, create, attach
// and wait set up before start, stream, remove with --rm on every path.
#pragma once

#include "runtime/run_spec.hpp"

namespace sr::docker {
class Client;
}

namespace sr::runtime {

// Returns the status sandbox-run must exit with: the container's exit status,
// or 125 (launcher/daemon failure), 126 (command cannot be invoked),
// 127 (command not found). Errors are printed to stderr as
// "sandbox-run: error: ..." before returning.
//
// Signals: from create on, SIGINT/TERM/HUP/QUIT/USR1/USR2/ALRM are forwarded
// to the container through the kill API (sig_proxy without tty; the third
// SIGINT/SIGTERM gives up as below, like the Docker CLI); otherwise
// a terminating signal cleans up (--rm) and then ends the process by that
// same signal, as the Docker CLI dies of it. SIGWINCH resizes a tty.
int launch(const RunSpec& spec, docker::Client& client);

}  // namespace sr::runtime
