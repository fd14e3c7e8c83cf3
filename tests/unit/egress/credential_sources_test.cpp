// Where mapped credentials come from: setup's --env-file record and the
// Bitwarden source (--from-bitwarden / --no-bitwarden), the checks on a
// credential env file, and the start-time lookup precedence.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include "daemon/installer.hpp"
#include "egress/bitwarden.hpp"
#include "egress/config.hpp"
#include "egress/daemon_env.hpp"
#include "egress/discovery.hpp"
#include "egress/mappings.hpp"
#include "egress/setup.hpp"
#include "state_test_support.hpp"

using namespace sr::egress;
namespace fs = std::filesystem;

namespace {

struct Harness {
  sr_test::TempDir dir;
  Paths paths{dir.path / "home"};
  std::vector<std::string> infos, warnings;
  std::map<std::string, std::string> vars{{"OPENAI_API_KEY", "x"}};
  // The fake Bitwarden project: names with non-empty values.
  sr::util::Result<std::vector<std::string>> bws = std::vector<std::string>{"ANTHROPIC_API_KEY", "GOOGLE_API_KEY"};
  int bws_calls = 0;
  std::map<std::string, std::string> bws_saw_file;

  sr::util::Result<void> run(const SetupOptions& o = {}) {
    SetupEnv e;
    e.presence = sr_test::present(vars);
    e.bitwarden_names = [this](const ProxySettings&, const std::map<std::string, std::string>& file) {
      ++bws_calls;
      bws_saw_file = file;
      return bws;
    };
    e.interfaces = [] {
      return sr::util::Result<std::vector<InterfaceAddress>>(
          std::vector<InterfaceAddress>{{"lo", "127.0.0.1"}, {"docker0", "172.17.0.1"}});
    };
    e.info = [this](const std::string& s) { infos.push_back(s); };
    e.warn = [this](const std::string& s) { warnings.push_back(s); };
    SetupOptions opts = o;
    if (!opts.isolation) opts.isolation = Isolation::bridge;
    return run_setup(paths, opts, e);
  }
  std::vector<std::string> mapped() {
    auto m = load_mappings(paths.mappings());
    REQUIRE(m);
    std::vector<std::string> out;
    for (const auto& t : m->tokens) out.push_back(t.env_name);
    return out;
  }
  ProxySettings proxy() {
    auto c = load_config(paths.config());
    REQUIRE(c);
    return c->proxy;
  }
  fs::path env_file(const std::string& text, mode_t mode = 0600) {
    fs::path p = dir.path / "keys.env";
    sr_test::spit(p, text);
    ::chmod(p.c_str(), mode);
    return p;
  }
  bool warned(const std::string& part) {
    for (const auto& w : warnings)
      if (w.find(part) != std::string::npos) return true;
    return false;
  }
};

}  // namespace

TEST_CASE("setup --from-bitwarden discovers providers from the project's names; re-setup keeps it") {
  Harness h;
  SetupOptions o;
  o.credential_source = CredentialSource::bitwarden;
  o.bitwarden_project = "proj-1";
  REQUIRE(h.run(o));
  CHECK(h.bws_calls == 1);
  // OPENAI_API_KEY is exported but not in the project: not mapped.
  CHECK(h.mapped() == std::vector<std::string>{"ANTHROPIC_API_KEY", "GEMINI_API_KEY"});
  CHECK(h.proxy().credential_source == CredentialSource::bitwarden);
  CHECK(h.proxy().bitwarden_project == "proj-1");

  REQUIRE(h.run());  // plain re-setup: still Bitwarden
  CHECK(h.bws_calls == 2);
  CHECK(h.proxy().credential_source == CredentialSource::bitwarden);
  CHECK(h.mapped() == std::vector<std::string>{"ANTHROPIC_API_KEY", "GEMINI_API_KEY"});

  SetupOptions back;
  back.credential_source = CredentialSource::env;
  REQUIRE(h.run(back));
  CHECK(h.bws_calls == 2);
  CHECK(h.proxy().credential_source == CredentialSource::env);
  CHECK(h.mapped() == std::vector<std::string>{"OPENAI_API_KEY"});
  CHECK(h.proxy().bitwarden_project == "proj-1");  // kept for a later --from-bitwarden
}

TEST_CASE("setup --from-bitwarden refuses before writing anything when bws cannot answer") {
  Harness h;
  h.bws = sr::util::fail(sr::util::ErrorKind::invalid_argument, "Bitwarden: $BWS_ACCESS_TOKEN is not set");
  SetupOptions o;
  o.credential_source = CredentialSource::bitwarden;
  auto r = h.run(o);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("$BWS_ACCESS_TOKEN is not set") != std::string::npos);
  CHECK(r.error().message.find("--no-bitwarden") != std::string::npos);
  CHECK_FALSE(fs::exists(h.paths.proxy_yaml()));
  CHECK_FALSE(fs::exists(h.paths.config()));
}

TEST_CASE("setup with Bitwarden and allow_env_fallback warns and uses the environment") {
  Harness h;
  fs::create_directories(h.paths.home);
  sr_test::spit(h.paths.config(), "proxy:\n  credential_source: bitwarden\n  allow_env_fallback: true\n");
  h.bws = sr::util::fail(sr::util::ErrorKind::invalid_argument, "Bitwarden: proxy.bitwarden_project is not set");
  REQUIRE(h.run());
  CHECK(h.warned("allow_env_fallback"));
  CHECK(h.mapped() == std::vector<std::string>{"OPENAI_API_KEY"});
  CHECK(h.proxy().credential_source == CredentialSource::bitwarden);
}

TEST_CASE("setup with Bitwarden and an empty project names where it looked") {
  Harness h;
  h.bws = std::vector<std::string>{"UNRELATED"};
  SetupOptions o;
  o.credential_source = CredentialSource::bitwarden;
  o.bitwarden_project = "proj-9";
  auto r = h.run(o);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::not_found);
  CHECK(r.error().message.find("Bitwarden project proj-9") != std::string::npos);
}

TEST_CASE("setup --env-file records the absolute path; re-setup reuses it; --no-env-file forgets it") {
  Harness h;
  h.vars.clear();
  auto file = h.env_file("ANTHROPIC_API_KEY=sk-ant-secret\n");
  char cwd[4096];
  REQUIRE(::getcwd(cwd, sizeof cwd));
  REQUIRE(::chdir(h.dir.path.c_str()) == 0);
  SetupOptions o;
  o.env_file = "keys.env";  // relative: recorded absolute
  auto r = h.run(o);
  REQUIRE(::chdir(cwd) == 0);
  REQUIRE(r);
  CHECK(h.proxy().env_file == file.string());
  CHECK(h.mapped() == std::vector<std::string>{"ANTHROPIC_API_KEY"});
  for (const auto& line : h.infos) CHECK(line.find("sk-ant-secret") == std::string::npos);
  CHECK(sr_test::slurp(h.paths.config()).find("sk-ant-secret") == std::string::npos);

  REQUIRE(h.run());  // no --env-file: the recorded one still counts
  CHECK(h.mapped() == std::vector<std::string>{"ANTHROPIC_API_KEY"});
  CHECK(h.proxy().env_file == file.string());

  h.vars = {{"OPENAI_API_KEY", "x"}};
  SetupOptions forget;
  forget.forget_env_file = true;
  REQUIRE(h.run(forget));
  CHECK(h.proxy().env_file.empty());
  CHECK(sr_test::slurp(h.paths.config()).find("env_file") == std::string::npos);
  CHECK(h.mapped() == std::vector<std::string>{"OPENAI_API_KEY"});
}

TEST_CASE("setup: a recorded env file that vanished refuses with the fix") {
  Harness h;
  auto file = h.env_file("ANTHROPIC_API_KEY=a\n");
  SetupOptions o;
  o.env_file = file;
  REQUIRE(h.run(o));
  fs::remove(file);
  auto r = h.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find(file.string()) != std::string::npos);
  CHECK(r.error().message.find("--no-env-file") != std::string::npos);
}

TEST_CASE("setup: a group-readable env file is recorded with a warning; a symlink refuses") {
  Harness h;
  auto file = h.env_file("ANTHROPIC_API_KEY=a\n", 0644);
  SetupOptions o;
  o.env_file = file;
  REQUIRE(h.run(o));
  CHECK(h.warned("chmod 600 " + file.string()));
  Harness s;
  auto target = s.env_file("ANTHROPIC_API_KEY=a\n");
  fs::create_symlink(target, s.dir.path / "link.env");
  SetupOptions ol;
  ol.env_file = s.dir.path / "link.env";
  auto r = s.run(ol);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::security);
  CHECK(r.error().message.find("link.env is a symbolic link") != std::string::npos);
  CHECK_FALSE(fs::exists(s.paths.config()));
}

TEST_CASE("credential file checks: mode, symlink, missing; values never in messages") {
  sr_test::TempDir d;
  fs::path p = d.path / "k.env";
  sr_test::spit(p, "OPENAI_API_KEY=sk-topsecret\n");
  ::chmod(p.c_str(), 0600);
  auto ok = load_credential_file(p, FileCheck::strict);
  REQUIRE(ok);
  CHECK(ok->values.at("OPENAI_API_KEY") == "sk-topsecret");
  CHECK(ok->warnings.empty());

  ::chmod(p.c_str(), 0640);
  auto refused = load_credential_file(p, FileCheck::strict);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == sr::util::ErrorKind::security);
  CHECK(refused.error().message.find("mode 0640") != std::string::npos);
  CHECK(refused.error().message.find("chmod 600 " + p.string()) != std::string::npos);
  CHECK(refused.error().message.find("sk-topsecret") == std::string::npos);
  auto warned = load_credential_file(p, FileCheck::warn);
  REQUIRE(warned);
  CHECK(warned->warnings.size() == 1);

  fs::create_symlink(p, d.path / "l.env");
  auto link = load_credential_file(d.path / "l.env", FileCheck::warn);
  REQUIRE_FALSE(link);
  CHECK(link.error().kind == sr::util::ErrorKind::security);

  auto missing = load_credential_file(d.path / "none.env", FileCheck::strict);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == sr::util::ErrorKind::not_found);
  CHECK(missing.error().message.find("none.env") != std::string::npos);

  auto dir = load_credential_file(d.path, FileCheck::strict);
  REQUIRE_FALSE(dir);
}

TEST_CASE("start lookup: an exported non-empty value wins, the file only supplies listed names") {
  auto lookup = with_file_fallback(sr_test::env_from({{"OPENAI_API_KEY", "exported"}, {"GEMINI_API_KEY", ""}, {"PATH", "/bin"}}),
                                   {{"OPENAI_API_KEY", "file-openai"}, {"GEMINI_API_KEY", "file-gemini"},
                                    {"PATH", "/evil"}, {"HOME", "/evil"}},
                                   {"OPENAI_API_KEY", "GEMINI_API_KEY"});
  CHECK(lookup("OPENAI_API_KEY") == "exported");
  CHECK(lookup("GEMINI_API_KEY") == "file-gemini");
  CHECK(lookup("PATH") == "/bin");
  CHECK(lookup("HOME") == std::nullopt);
  CHECK(credential_names({{"GEMINI_API_KEY", {"GOOGLE_API_KEY"}}, {"OPENAI_API_KEY", {}}}) ==
        std::vector<std::string>{"GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY"});
}

TEST_CASE("bitwarden names: the token and the project are checked before bws runs") {
  ProxySettings s;
  s.credential_source = CredentialSource::bitwarden;
  auto no_token = bitwarden_secret_names(s, sr_test::env_from({{"PATH", "/nonexistent"}}));
  REQUIRE_FALSE(no_token);
  CHECK(no_token.error().message.find("$BWS_ACCESS_TOKEN is not set") != std::string::npos);
  auto no_project = bitwarden_secret_names(s, sr_test::env_from({{"BWS_ACCESS_TOKEN", "t"}, {"PATH", "/nonexistent"}}));
  REQUIRE_FALSE(no_project);
  CHECK(no_project.error().message.find("--bitwarden-project NAME") != std::string::npos);
  s.bitwarden_token_env = "MY_BWS";
  auto custom = bitwarden_secret_names(s, sr_test::env_from({{"BWS_ACCESS_TOKEN", "t"}}));
  REQUIRE_FALSE(custom);
  CHECK(custom.error().message.find("$MY_BWS") != std::string::npos);
}

TEST_CASE("config: env_file, credential_source and bitwarden_project round-trip; relative env_file refused") {
  sr_test::TempDir d;
  fs::path cfg = d.path / "config.yaml";
  sr_test::spit(cfg, "proxy:\n  enabled: true\n  extra_allowed_hosts: [a.example]\n");
  ProxySettings p;
  p.credential_source = CredentialSource::bitwarden;
  p.bitwarden_project = "proj-2";
  p.env_file = "/home/u/keys.env";
  const ProxyKey keys[] = {ProxyKey::credential_source, ProxyKey::bitwarden_project, ProxyKey::env_file};
  REQUIRE(save_proxy_keys(cfg, p, keys));
  auto c = load_config(cfg);
  REQUIRE(c);
  CHECK(c->proxy.credential_source == CredentialSource::bitwarden);
  CHECK(c->proxy.bitwarden_project == "proj-2");
  CHECK(c->proxy.env_file == "/home/u/keys.env");
  CHECK(c->proxy.extra_allowed_hosts == std::vector<std::string>{"a.example"});
  p.env_file.clear();
  const ProxyKey only[] = {ProxyKey::env_file};
  REQUIRE(save_proxy_keys(cfg, p, only));
  CHECK(sr_test::slurp(cfg).find("env_file") == std::string::npos);

  sr_test::spit(cfg, "proxy:\n  env_file: keys.env\n");
  auto rel = load_config(cfg);
  REQUIRE_FALSE(rel);
  CHECK(rel.error().message.find("proxy.env_file: expected an absolute path") != std::string::npos);
}

TEST_CASE("release key pin: compiled-in wins over the environment, normalised") {
  const std::string fpr = "0123456789ABCDEF0123456789ABCDEF01234567";
  std::vector<std::string> w;
  CHECK(*sr::daemon::release_key_pin("", "", w) == "");
  CHECK(*sr::daemon::release_key_pin("", "0123 4567 89ab cdef 0123  4567 89ab cdef 0123 4567", w) == fpr);
  CHECK(w.empty());
  CHECK_FALSE(sr::daemon::release_key_pin("", "not-a-fingerprint", w));
  CHECK(*sr::daemon::release_key_pin(fpr, "", w) == fpr);
  CHECK(w.empty());
  CHECK(*sr::daemon::release_key_pin(fpr, std::string(40, 'F'), w) == fpr);  // env cannot override
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("ignored") != std::string::npos);
  CHECK_FALSE(sr::daemon::release_key_pin("xyz", "", w));
}

TEST_CASE("release key pin: VALIDSIG signing or primary fingerprint") {
  const std::string sub = "1111111111111111111111111111111111111111";
  const std::string primary = "2222222222222222222222222222222222222222";
  std::string status = "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 1111111111111111 rel\n[GNUPG:] VALIDSIG " + sub +
                       " 2026-01-01 1767225600 0 4 0 1 8 00 " + primary + "\n";
  CHECK(sr::daemon::signed_by(status, sub));
  CHECK(sr::daemon::signed_by(status, primary));
  CHECK_FALSE(sr::daemon::signed_by(status, std::string(40, '3')));
  CHECK_FALSE(sr::daemon::signed_by("[GNUPG:] BADSIG " + sub + "\n", sub));
}
