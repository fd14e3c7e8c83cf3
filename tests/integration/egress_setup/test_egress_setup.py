"""sandbox-egress setup/status/config/disable/rotate-ca on the real binary.

Every test uses its own SANDBOX_RUN_HOME and --isolation bridge, so nothing
touches ~/.sandbox-run or creates Docker networks."""
import glob
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from egress_home import Home, mode  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402

KEYS = {"OPENAI_API_KEY": "sk-real-openai-REALVALUE-value", "GOOGLE_API_KEY": "real-google-REALVALUE"}
SECRET_MARK = "REALVALUE"


class EgressSetup(unittest.TestCase):
    def setUp(self):
        self.h = Home()

    def tearDown(self):
        self.h.cleanup()

    def setup_ok(self, *args, env=None, umask=None):
        r = self.h.run("setup", "--isolation", "bridge", *args, env=env if env is not None else KEYS,
                       umask=umask)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn(SECRET_MARK, r.stdout + r.stderr)
        return r

    def mappings(self):
        with open(self.h.state_path("mappings.json")) as f:
            return json.load(f)

    def test_modes_under_umask_000(self):
        self.setup_ok(umask=0)
        self.assertEqual(mode(self.h.state), 0o700)
        for name, want in [("ca.key", 0o600), ("ca.crt", 0o644), ("proxy.yaml", 0o600),
                           ("mappings.json", 0o600), ("management.token", 0o600)]:
            self.assertEqual(mode(self.h.state_path(name)), want, name)
        self.assertEqual(mode(self.h.path("config.yaml")), 0o600)

    def test_state_dir_tightened(self):
        self.setup_ok()
        os.chmod(self.h.state, 0o755)
        self.setup_ok()
        self.assertEqual(mode(self.h.state), 0o700)

    def test_tokens_format_aliases_and_uncovered(self):
        env = dict(KEYS, AWS_ACCESS_KEY_ID="AKIA-REALVALUE")
        r = self.setup_ok(env=env)
        self.assertIn("AWS_ACCESS_KEY_ID", r.stderr)
        doc = self.mappings()
        self.assertEqual(doc["version"], 1)
        by_name = {t["env_name"]: t for t in doc["tokens"]}
        self.assertEqual(sorted(by_name), ["GEMINI_API_KEY", "OPENAI_API_KEY"])
        self.assertRegex(by_name["OPENAI_API_KEY"]["proxy_token"], r"^openai-[0-9a-f]{32}$")
        self.assertRegex(by_name["GEMINI_API_KEY"]["proxy_token"], r"^gemini-[0-9a-f]{32}$")
        self.assertEqual(by_name["GEMINI_API_KEY"]["alias_env_names"], ["GOOGLE_API_KEY"])
        self.assertEqual(by_name["OPENAI_API_KEY"]["upstream_hosts"], ["api.openai.com"])
        tokens = [t["proxy_token"] for t in doc["tokens"]]
        self.assertEqual(len(set(tokens)), len(tokens))
        with open(self.h.state_path("proxy.yaml")) as f:
            self.assertNotIn(SECRET_MARK, f.read())

    def test_preserve_then_rotate_with_backup(self):
        self.setup_ok()
        first = {t["env_name"]: t["proxy_token"] for t in self.mappings()["tokens"]}
        self.setup_ok(env={"OPENAI_API_KEY": "sk-REALVALUE"})
        second = {t["env_name"]: t["proxy_token"] for t in self.mappings()["tokens"]}
        self.assertEqual(second, {"OPENAI_API_KEY": first["OPENAI_API_KEY"]})
        with open(self.h.state_path("mappings.json")) as f:
            before = f.read()
        self.setup_ok("--rotate-tokens", env={"OPENAI_API_KEY": "sk-REALVALUE"})  # stdin not a TTY
        third = {t["env_name"]: t["proxy_token"] for t in self.mappings()["tokens"]}
        self.assertNotEqual(third["OPENAI_API_KEY"], first["OPENAI_API_KEY"])
        backups = glob.glob(self.h.state_path("mappings.json.rotated-*"))
        self.assertEqual(len(backups), 1)
        self.assertRegex(os.path.basename(backups[0]), r"^mappings\.json\.rotated-\d{8}T\d{6}$")
        self.assertEqual(mode(backups[0]), 0o600)
        with open(backups[0]) as f:
            self.assertEqual(f.read(), before)

    def test_rotate_nothing_to_rotate(self):
        r = self.setup_ok("--rotate-tokens")
        self.assertIn("nothing to rotate", r.stdout)

    def test_env_file_and_exported_wins(self):
        envfile = os.path.join(self.h.root, "keys.env")
        with open(envfile, "w") as f:
            f.write("# keys\nexport ANTHROPIC_API_KEY='sk-ant-REALVALUE'\nOPENAI_API_KEY=file-REALVALUE\n")
        self.setup_ok("--env-file", envfile, env={})
        names = sorted(t["env_name"] for t in self.mappings()["tokens"])
        self.assertEqual(names, ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"])
        r = self.h.run("setup", "--isolation", "bridge", "--env-file",
                       os.path.join(self.h.root, "missing.env"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.env", r.stderr)

    def test_no_provider_lists_names(self):
        r = self.h.run("setup", "--isolation", "bridge", env={})
        self.assertEqual(r.returncode, 1, r.stderr)
        for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
            self.assertIn(name, r.stderr)
        self.assertFalse(os.path.exists(self.h.state_path("proxy.yaml")))

    def test_invalid_ports_are_usage_errors(self):
        for port in ("0", "65532", "70000", "-1", "abc"):
            r = self.h.run("setup", "--isolation", "bridge", "--tunnel-port", port, env=KEYS)
            self.assertEqual(r.returncode, 2, (port, r.stderr))
        for args in (["--engine", "nginx"], ["--isolation", "none"], ["--restart", "--no-restart"],
                     ["--bogus"]):
            r = self.h.run("setup", *args, env=KEYS)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
        self.setup_ok("--tunnel-port", "65531")
        with open(self.h.state_path("proxy.yaml")) as f:
            y = f.read()
        self.assertIn(":65531\n", y)
        self.assertIn("127.0.0.1:65533", y)  # management
        self.assertIn(":65535\n", y)  # dns.listen, tunnel_port + 4

    def test_ports_and_listeners(self):
        self.setup_ok("--tunnel-port", "18090", "--engine", "iron-proxy")
        with open(self.h.state_path("proxy.yaml")) as f:
            y = f.read()
        self.assertRegex(y, r"tunnel_listen: (172\.17\.0\.1|127\.0\.0\.1):18090\n")
        self.assertRegex(y, r"http_listen: (172\.17\.0\.1|127\.0\.0\.1):18091\n")
        self.assertIn("listen: 127.0.0.1:18092\n", y)
        # The interception's listeners, rendered for both engines.
        self.assertRegex(y, r"https_listen: (172\.17\.0\.1|127\.0\.0\.1):18093\n")
        self.assertRegex(y, r"dns:\n  listen: (172\.17\.0\.1|127\.0\.0\.1):18094\n")
        self.assertIn("api_key_env: SANDBOX_EGRESS_MGMT_KEY", y)
        self.assertNotRegex(y, r"listen: 0\.0\.0\.0")
        self.assertNotIn("require: true", y)
        self.assertIn("require: false", y)
        with open(self.h.path("config.yaml")) as f:
            c = f.read()
        self.assertIn("engine: iron-proxy", c)
        self.assertIn("tunnel_port: 18090", c)

    def test_invalid_hosts_and_cidrs(self):
        os.makedirs(self.h.home, exist_ok=True)
        cases = [("extra_allowed_hosts: ['https://evil.example']", "https://evil.example"),
                 ("extra_allowed_hosts: ['evil.example:443']", "evil.example:443"),
                 ("extra_allowed_hosts: ['evil.example/x']", "evil.example/x"),
                 ("extra_allowed_hosts: ['a b']", "a b"),
                 ("upstream_deny_cidrs: [10.1.2.3]", "10.1.2.3")]
        for line, entry in cases:
            with open(self.h.path("config.yaml"), "w") as f:
                f.write("proxy:\n  " + line + "\n")
            r = self.h.run("setup", "--isolation", "bridge", env=KEYS)
            self.assertEqual(r.returncode, 1, line)
            self.assertIn("'%s'" % entry, r.stderr)
            self.assertRegex(r.stderr, re.escape(self.h.path("config.yaml")) + r":2:\d+:")
            self.assertFalse(os.path.exists(self.h.state_path("proxy.yaml")))

    def test_corrupt_config_is_not_overwritten(self):
        os.makedirs(self.h.home, exist_ok=True)
        bad = "proxy:\n  enabled: [oops\n"
        with open(self.h.path("config.yaml"), "w") as f:
            f.write(bad)
        for cmd in (["setup", "--isolation", "bridge"], ["disable"], ["status"]):
            r = self.h.run(*cmd, env=KEYS)
            self.assertEqual(r.returncode, 1, cmd)
            self.assertRegex(r.stderr, re.escape(self.h.path("config.yaml")) + r":\d+:\d+: ")
        with open(self.h.path("config.yaml")) as f:
            self.assertEqual(f.read(), bad)

    def test_unknown_keys_warned_and_kept(self):
        os.makedirs(self.h.home, exist_ok=True)
        with open(self.h.path("config.yaml"), "w") as f:
            f.write("proxy:\n  enforce: false\n  shiny: 1\ndocker_env:\n  TZ: UTC\nlater: [x]\n")
        r = self.setup_ok()
        self.assertIn("unknown key 'proxy.shiny'", r.stderr)
        self.assertIn("unknown key 'later'", r.stderr)
        with open(self.h.path("config.yaml")) as f:
            c = f.read()
        for kept in ("enforce: false", "shiny: 1", "TZ: UTC", "later:", "enabled: true"):
            self.assertIn(kept, c)

    def test_corrupt_mappings(self):
        self.setup_ok()
        with open(self.h.state_path("mappings.json"), "w") as f:
            f.write("{nope")
        r = self.h.run("setup", "--isolation", "bridge", env=KEYS)
        self.assertEqual(r.returncode, 1)
        self.assertIn("corrupt", r.stderr)
        st = self.h.run("status", "--json", env=KEYS)
        self.assertEqual(st.returncode, 0, st.stderr)
        self.assertIn("corrupt", json.loads(st.stdout)["mappings_error"])
        self.setup_ok("--rotate-tokens")  # recreates it, keeping a backup
        self.assertEqual(len(glob.glob(self.h.state_path("mappings.json.rotated-*"))), 1)

    def test_symlink_refusals(self):
        for name in ("ca.key", "ca.crt", "proxy.yaml", "mappings.json", "management.token"):
            h = Home()
            try:
                os.makedirs(h.state, mode=0o700)
                victim = os.path.join(h.root, "victim")
                with open(victim, "w") as f:
                    f.write("keep")
                os.symlink(victim, h.state_path(name))
                r = h.run("setup", "--isolation", "bridge", env=KEYS)
                self.assertEqual(r.returncode, 1, name)
                self.assertIn(h.state_path(name), r.stderr)
                with open(victim) as f:
                    self.assertEqual(f.read(), "keep")
                self.assertTrue(os.path.islink(h.state_path(name)))
            finally:
                h.cleanup()
        # the state directory itself, and config.yaml
        os.makedirs(self.h.home)
        elsewhere = os.path.join(self.h.root, "elsewhere")
        os.makedirs(elsewhere)
        os.symlink(elsewhere, self.h.state)
        r = self.h.run("setup", "--isolation", "bridge", env=KEYS)
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.h.state, r.stderr)
        self.assertEqual(os.listdir(elsewhere), [])
        os.unlink(self.h.state)
        victim = os.path.join(self.h.root, "real-config.yaml")
        with open(victim, "w") as f:
            f.write("proxy:\n  enabled: false\n")
        os.symlink(victim, self.h.path("config.yaml"))
        r = self.h.run("disable", env=KEYS)
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.h.path("config.yaml"), r.stderr)
        with open(victim) as f:
            self.assertEqual(f.read(), "proxy:\n  enabled: false\n")

    def test_status_json_schema_and_redaction(self):
        self.setup_ok()
        r = self.h.run("status", "--json", env=KEYS)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)
        self.assertEqual(s["schema_version"], 1)
        for key, typ in [("enabled", bool), ("engine", str), ("engine_binary", dict),
                         ("config_path", str), ("state_dir", str), ("proxy_yaml", dict),
                         ("tunnel_port", int), ("ca", dict), ("daemon", dict),
                         ("credential_source", str), ("enforce", bool), ("isolation", str),
                         ("mappings", list), ("uncovered", list), ("warnings", list),
                         ("problems", list)]:
            self.assertIsInstance(s[key], typ, key)
        self.assertTrue(s["enabled"])
        self.assertEqual(s["isolation"], "bridge")
        self.assertEqual(s["engine"], "builtin")
        self.assertTrue(s["ca"]["present"])
        self.assertRegex(s["ca"]["not_after"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        for key in ("pid", "alive", "ours", "listening", "tunnel_address", "detail"):
            self.assertIn(key, s["daemon"])
        real = {t["env_name"]: t["proxy_token"] for t in self.mappings()["tokens"]}
        for m in s["mappings"]:
            self.assertTrue(m["token_redacted"])
            tok = real[m["env_name"]]
            self.assertEqual(m["proxy_token"], tok[:12] + "\u2026" + tok[-4:])
            self.assertNotIn(tok, r.stdout)
        self.assertNotIn(SECRET_MARK, r.stdout + r.stderr)
        shown = self.h.run("status", "--json", "--show-tokens", env=KEYS)
        self.assertIn("history", shown.stderr)
        self.assertEqual(sorted(m["proxy_token"] for m in json.loads(shown.stdout)["mappings"]),
                         sorted(real.values()))
        text = self.h.run("status", env=dict(KEYS, AWS_SECRET_ACCESS_KEY="x-REALVALUE"))
        self.assertEqual(text.returncode, 0, text.stderr)
        for word in ("engine:", "CA:", "daemon:", "credential source:", "enforcement:",
                     "isolation:", "OPENAI_API_KEY", "uncovered:", "AWS_SECRET_ACCESS_KEY"):
            self.assertIn(word, text.stdout)
        self.assertNotIn(SECRET_MARK, text.stdout + text.stderr)

    def test_config_and_disable(self):
        r = self.h.run("config")
        self.assertEqual(r.returncode, 1)
        self.setup_ok()
        r = self.h.run("config")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.strip(), self.h.state_path("proxy.yaml"))
        r = self.h.run("disable")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(self.h.run("status", "--json").stdout)
        self.assertFalse(s["enabled"])

    def test_rotate_ca(self):
        r = self.h.run("rotate-ca")
        self.assertEqual(r.returncode, 1)
        self.setup_ok()
        with open(self.h.state_path("ca.crt")) as f:
            old_crt = f.read()
        with open(self.h.state_path("ca.key")) as f:
            old_key = f.read()
        r = self.h.run("rotate-ca", umask=0)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("restart", r.stdout)
        # Names the running sandboxes (Docker reachable) or says how to list them.
        self.assertRegex(r.stdout, r"no running sandbox carries the egress fingerprint|"
                                   r"trusts? only the old CA")
        with open(self.h.state_path("ca.crt")) as f:
            self.assertNotEqual(f.read(), old_crt)
        self.assertEqual(mode(self.h.state_path("ca.key")), 0o600)
        self.assertEqual(mode(self.h.state_path("ca.crt")), 0o644)
        key_backups = glob.glob(self.h.state_path("ca.key.rotated-*"))
        crt_backups = glob.glob(self.h.state_path("ca.crt.rotated-*"))
        self.assertEqual(len(key_backups), 1)
        self.assertEqual(len(crt_backups), 1)
        self.assertEqual(mode(key_backups[0]), 0o600)
        with open(key_backups[0]) as f:
            self.assertEqual(f.read(), old_key)
        with open(crt_backups[0]) as f:
            self.assertEqual(f.read(), old_crt)

    def test_ca_with_openssl_cli(self):
        """The CA is fit for minting server leaves (checked by an independent tool)."""
        import shutil
        import subprocess
        if not shutil.which("openssl"):
            self.skipTest("openssl CLI not installed")
        self.setup_ok()
        out = subprocess.run(["openssl", "x509", "-in", self.h.state_path("ca.crt"), "-noout",
                              "-text"], capture_output=True, text=True).stdout
        self.assertIn("CA:TRUE, pathlen:0", out)
        self.assertIn("Certificate Sign, CRL Sign", out)
        self.assertIn("prime256v1", out)
        self.assertIn("sandbox-run egress CA (", out)

    def test_restart_running_daemon(self):
        """--restart restarts our running daemon; --no-restart and the default leave it."""
        self.setup_ok("--tunnel-port", "19290")
        started = self.h.run("start", env=KEYS)
        self.assertEqual(started.returncode, 0, started.stdout + started.stderr)
        try:
            pid = json.loads(self.h.run("status", "--json", env=KEYS).stdout)["daemon"]["pid"]
            r = self.setup_ok()
            self.assertIn("still runs with the previous settings", r.stderr)
            r = self.setup_ok("--no-restart")
            self.assertIn("--no-restart", r.stdout)
            r = self.setup_ok("--restart")
            self.assertIn("restarted", r.stdout)
            s = json.loads(self.h.run("status", "--json", env=KEYS).stdout)
            self.assertTrue(s["daemon"]["ours"])
            self.assertTrue(s["daemon"]["listening"])
            self.assertNotEqual(s["daemon"]["pid"], pid)
        finally:
            self.h.run("stop", env=KEYS)


class DeclaredSecrets(unittest.TestCase):
    """config.yaml secrets: on the real binary: token, allowlist, proxy.yaml, providers."""

    def setUp(self):
        self.h = Home()
        os.makedirs(self.h.home, exist_ok=True)

    def tearDown(self):
        self.h.cleanup()

    def test_declared_secret_gets_a_token_and_is_listed(self):
        with open(self.h.path("config.yaml"), "w") as f:
            f.write("# kept\nsecrets:\n  GITHUB_TOKEN:\n    hosts: [github.com]\n"
                    "    carrier: [basic, bearer]\n    user: x-access-token\n")
        env = {"GITHUB_TOKEN": "ghp-REALVALUE"}
        r = self.h.run("setup", "--isolation", "bridge", env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn(SECRET_MARK, r.stdout + r.stderr)
        with open(self.h.state_path("mappings.json")) as f:
            tokens = {t["env_name"]: t for t in json.load(f)["tokens"]}
        self.assertRegex(tokens["GITHUB_TOKEN"]["proxy_token"], r"^github-token-[0-9a-f]{32}$")
        with open(self.h.state_path("proxy.yaml")) as f:
            yaml_text = f.read()
        self.assertIn("- github.com", yaml_text)
        self.assertIn("var: GITHUB_TOKEN", yaml_text)
        with open(self.h.path("config.yaml")) as f:
            self.assertTrue(f.read().startswith("# kept\n"), "setup kept the comment")
        r = self.h.run("providers", "--json", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(SECRET_MARK, r.stdout + r.stderr)
        listed = {p["env"]: p for p in json.loads(r.stdout)["providers"]}
        self.assertTrue(listed["GITHUB_TOKEN"]["present"])
        self.assertEqual(listed["GITHUB_TOKEN"]["source"], "config.yaml:3")
        self.assertEqual(listed["GITHUB_TOKEN"]["carriers"],
                         [{"kind": "basic", "name": "x-access-token"}, {"kind": "bearer"}])
        self.assertFalse(listed["OPENAI_API_KEY"]["present"])

    def test_invalid_declaration_is_refused_naming_the_line(self):
        with open(self.h.path("config.yaml"), "w") as f:
            f.write("secrets:\n  A_KEY:\n    hosts: ['*.com']\n")
        r = self.h.run("setup", "--isolation", "bridge", env={"A_KEY": "x"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("config.yaml:3:13: secrets.A_KEY.hosts: '*.com' is a wildcard on a bare top-level domain",
                      r.stderr)


class NotSetUp(unittest.TestCase):
    """stop/status/audit on a home where setup never ran."""

    def setUp(self):
        self.h = Home()

    def tearDown(self):
        self.h.cleanup()

    def test_answers(self):
        stop = self.h.run("stop")
        self.assertEqual(stop.returncode, 0, stop.stderr)
        self.assertIn("egress is not set up", stop.stdout)
        status = self.h.run("status")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("egress is not set up", status.stdout)
        audit = self.h.run("audit", "tail")
        self.assertEqual(audit.returncode, 1)
        self.assertIn("egress is not set up", audit.stderr)
        for r in (stop, status, audit):
            self.assertNotIn("No such file", r.stdout + r.stderr)


if __name__ == "__main__":
    harness.main()
