// Where sandbox-run keeps its configuration and egress state.
//
//   $SANDBOX_RUN_HOME (default ~/.sandbox-run)
//     config.yaml
//     bin/iron-proxy              installed engine binary (iron-proxy engine)
//     egress/                     state dir, 0700
//       ca.crt ca.key proxy.yaml mappings.json management.token
//       daemon.pid daemon.nonce daemon.log audit.log narrowings.json narrowings.lock
#pragma once

#include <filesystem>
#include <string>

namespace sr::egress {

struct Paths {
  std::filesystem::path home;
  std::filesystem::path config() const { return home / "config.yaml"; }
  std::filesystem::path bin_dir() const { return home / "bin"; }
  std::filesystem::path iron_proxy_binary() const { return bin_dir() / "iron-proxy"; }
  std::filesystem::path state_dir() const { return home / "egress"; }
  std::filesystem::path ca_cert() const { return state_dir() / "ca.crt"; }
  std::filesystem::path ca_key() const { return state_dir() / "ca.key"; }
  std::filesystem::path proxy_yaml() const { return state_dir() / "proxy.yaml"; }
  std::filesystem::path mappings() const { return state_dir() / "mappings.json"; }
  std::filesystem::path management_token() const { return state_dir() / "management.token"; }
  std::filesystem::path pidfile() const { return state_dir() / "daemon.pid"; }
  std::filesystem::path nonce() const { return state_dir() / "daemon.nonce"; }
  std::filesystem::path daemon_log() const { return state_dir() / "daemon.log"; }
  std::filesystem::path audit_log() const { return state_dir() / "audit.log"; }
  // Per-sandbox narrowings (proxyconf/narrowings.hpp) and the lock that
  // serialises the launches editing them.
  std::filesystem::path narrowings() const { return state_dir() / "narrowings.json"; }
  std::filesystem::path narrowings_lock() const { return state_dir() / "narrowings.lock"; }

  // Whether `setup` ever ran here (the state directory exists, not as a symlink).
  bool set_up() const;
  // "egress is not set up in HOME (no HOME/egress); run 'sandbox-egress setup'".
  std::string not_set_up() const;

  // $SANDBOX_RUN_HOME, else $HOME/.sandbox-run.
  static Paths from_environment();
};

}  // namespace sr::egress
