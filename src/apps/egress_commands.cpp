#include "apps/egress_commands.hpp"

#include "cli/audit_command.hpp"
#include "cli/commands.hpp"
#include "cli/daemon_commands.hpp"
#include "cli/docker_commands.hpp"

// Each library exposes its commands as `int sr::<lib>::cmd_<name>(args)`.
// Add one include and one row per command; keep the order of `--help`.

namespace sr::apps {

const std::vector<EgressCommand>& egress_commands() {
  static const std::vector<EgressCommand> table = {
      {"setup", "Create the CA, proxy tokens and proxy.yaml; enable egress", &sr::cli::cmd_egress_setup},
      {"status", "Show configuration, CA, daemon and mappings (--json)", &cli::cmd_status},
      {"config", "Print proxy.yaml's path; 'config get|set KEY [VALUE]' for a setting", &cli::cmd_config},
      {"allow", "Allow a host, or enable a preset (--preset pypi|github|huggingface|...)", &cli::cmd_allow},
      {"deny", "Remove an allowed host, or disable a preset (--preset NAME)", &cli::cmd_deny},
      {"secrets", "Declare, remove or list credentials: secrets add|rm|list", &cli::cmd_secrets},
      {"disable", "Turn egress off for new sandboxes", &cli::cmd_disable},
      {"providers", "List the credentials the proxy can protect (--json)", &cli::cmd_providers},
      {"rotate-ca", "Replace the egress CA, keeping a backup", &sr::cli::cmd_egress_rotate_ca},
      {"start", "Start the egress daemon", &cli::cmd_start},
      {"stop", "Stop the egress daemon", &cli::cmd_stop},
      {"restart", "Stop, then start the egress daemon", &cli::cmd_restart},
      {"reload", "Make the running daemon re-read proxy.yaml", &cli::cmd_reload},
      {"install", "Install the pinned iron-proxy engine binary", &cli::cmd_install},
      {"serve", "Run the built-in egress proxy engine in the foreground", &sr::cli::cmd_serve},
      {"doctor", "Check the egress set-up end to end (--json)", &sr::cli::cmd_doctor},
      {"audit", "Query the audit log: tail, grep, stats, export", &cli::cmd_audit},
  };
  return table;
}

}  // namespace sr::apps
