// `sandbox-egress rotate-ca`: a new CA, the old pair kept as a backup, and a
// list of what still trusts or serves the old one.
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "daemon/daemon_state.hpp"
#include "egress/ca.hpp"
#include "egress/setup.hpp"
#include "util/atomic_file.hpp"
#include "util/secure_dir.hpp"

namespace sr::cli {

namespace {

// The label runtime puts on sandboxes created with egress (runtime/egress_plan.hpp).
constexpr const char* kSandboxLabel = "io.sandbox-run.egress.fingerprint";

util::Result<void> backup(const std::filesystem::path& file, mode_t mode, std::string& out_path) {
  SR_ASSIGN(std::string bytes, util::read_file_nofollow(file));
  auto dest = egress::backup_path(file);
  SR_TRY(util::write_file_atomic(dest, bytes, mode));
  out_path = dest.string();
  return {};
}

util::Result<void> rotate(const egress::Paths& paths) {
  SR_TRY(util::ensure_private_dir(paths.state_dir()));
  SR_TRY(util::refuse_symlink(paths.ca_cert()));
  SR_TRY(util::refuse_symlink(paths.ca_key()));
  bool have_cert = util::path_exists_nofollow(paths.ca_cert());
  bool have_key = util::path_exists_nofollow(paths.ca_key());
  if (!have_cert && !have_key)
    return util::fail(util::ErrorKind::not_found,
                      "no CA at " + paths.ca_cert().string() + "; run 'sandbox-egress setup' first");
  std::string saved;
  if (have_key) {
    SR_TRY(util::with_context(backup(paths.ca_key(), 0600, saved), "backing up the CA key"));
    cli::info("old CA key saved as " + saved);
  }
  if (have_cert) {
    SR_TRY(util::with_context(backup(paths.ca_cert(), 0644, saved), "backing up the CA certificate"));
    cli::info("old CA certificate saved as " + saved);
  }
  SR_ASSIGN(egress::CaPem ca, generate_ca(egress::CaOptions{}));
  SR_TRY(write_ca(ca, paths.ca_cert(), paths.ca_key()));
  SR_ASSIGN(egress::CaInfo info, egress::inspect_ca(paths.ca_cert()));
  cli::info("new CA " + paths.ca_cert().string() + " (sha256 " + info.sha256_fingerprint +
            ", expires " + info.not_after + ")");
  return {};
}

}  // namespace

int cmd_rotate_ca(std::span<const std::string> args, const SandboxLister& list_sandboxes) {
  CLI::App app{"Replace the egress CA (the old one is kept as a backup).", "rotate-ca"};
  if (auto code = cli::parse(app, args)) return *code;
  egress::Paths paths = egress::Paths::from_environment();
  auto config = egress::load_config(paths.config());
  if (!config) return cli::error(config.error().context("rotate-ca"));
  if (auto ok = rotate(paths); !ok) return cli::error(ok.error().context("rotate-ca"));

  cli::info("Needs a restart:");
  sr::daemon::DaemonState d = sr::daemon::inspect_daemon(paths, *config);
  if (d.alive && d.ours)
    cli::info("  the egress daemon (pid " + std::to_string(*d.pid) +
              ") still signs with the old CA: 'sandbox-egress stop && sandbox-egress start'");
  else
    cli::info("  the egress daemon: not running (it will use the new CA when started)");
  auto listed = list_sandboxes ? list_sandboxes()
                               : util::Result<std::vector<std::string>>(std::unexpected(
                                     util::Error{util::ErrorKind::connect, "Docker not available", 0}));
  if (listed && listed->empty()) {
    cli::info("  no running sandbox carries the egress fingerprint");
  } else if (listed) {
    for (const auto& s : *listed) cli::info("  sandbox " + s + " trusts only the old CA: recreate it");
  } else {
    cli::info(std::string("  running sandboxes trust only the old CA (could not list them: ") +
              listed.error().message + "); they are listed by:\n    docker ps --filter label=" +
              kSandboxLabel + "\n  recreate them to pick up the new CA");
  }
  return 0;
}

}  // namespace sr::cli
