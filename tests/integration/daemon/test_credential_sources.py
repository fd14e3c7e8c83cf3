"""Where the daemon's mapped credentials come from, end to end on the real
binaries (built-in engine, --isolation bridge, no Docker network, no root):

- `setup --env-file F` records F (proxy.env_file); a later `start` in a clean
  environment (nothing exported) hands the file's value to the daemon, which
  then swaps it in for the proxy token on a real request through its tunnel
  (to a local HTTPS stand-in for api.openai.com, tests/integration/proxy/
  fixtures.py; the client never sees the key), an exported value wins, `start --env-file` overrides, and a file that is
  group-readable, a symlink or missing refuses with the fix;
- `setup --from-bitwarden` discovers the providers from the names a stand-in
  `bws` returns (the real Bitwarden CLI cannot be installed here: the
  stand-in prints the documented `bws secret list <project> --output json`
  document), `start` gives the daemon only the mapped names, a plain re-setup
  keeps the source and `--no-bitwarden` switches back; a missing token or
  project refuses before anything is written.

Tunnel ports 19300-19308 (this suite's range on the shared machine).
"""
import http.client
import json
import os
import shutil
import signal
import ssl
import stat
import subprocess
import tempfile
import time
import unittest

from daemon_support import ALLOWED_ENV, alive, pids_with_arg, proc_environ
import harness
import egress_stack  # noqa: E402 (after daemon_support, which puts support/ on sys.path)
import fixtures  # noqa: E402 (tests/integration/proxy, put on sys.path by egress_stack)

PORTS = {"env_file": 19300, "bitwarden": 19303, "override": 19306}

BWS = """#!/bin/sh
# Stand-in for the Bitwarden Secrets Manager CLI (bws cannot be installed here).
echo "$*" >> "%(log)s"
[ "$BWS_ACCESS_TOKEN" = "tok-123" ] || { echo "Error: invalid access token" >&2; exit 1; }
[ "$1 $2 $3 $4 $5" = "secret list proj-1 --output json" ] || { echo "bad args: $*" >&2; exit 2; }
cat <<'JSON'
%(doc)s
JSON
"""


class CleanHome:
    """A fresh SANDBOX_RUN_HOME; commands run with an explicit, minimal
    environment (no provider key is inherited from the test runner)."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="sr-creds-")
        self.home = os.path.join(self.root, "home")
        self.state = os.path.join(self.home, "egress")
        self.path_env = os.environ["PATH"]

    def env(self, extra):
        env = {"PATH": self.path_env, "HOME": self.root, "SANDBOX_RUN_HOME": self.home, "LANG": "C.UTF-8"}
        for k, v in (extra or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def run(self, *args, env=None):
        return subprocess.run([harness.SANDBOX_EGRESS] + list(args), capture_output=True, text=True,
                              timeout=120, env=self.env(env), stdin=subprocess.DEVNULL)

    def write(self, name, text, mode=0o600):
        p = os.path.join(self.root, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def config(self):
        with open(os.path.join(self.home, "config.yaml")) as f:
            return f.read()

    def mapped(self):
        with open(os.path.join(self.state, "mappings.json")) as f:
            return sorted(t["env_name"] for t in json.load(f)["tokens"])

    def pid(self):
        try:
            with open(os.path.join(self.state, "daemon.pid")) as f:
                return int(f.read())
        except OSError:
            return None

    def cleanup(self):
        self.run("stop")
        harness.egress_disable(self.home, self.env(None))
        for pid in pids_with_arg(self.home):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


class CredentialSources(unittest.TestCase):
    def make(self):
        h = CleanHome()
        self.addCleanup(h.cleanup)
        return h

    def ok(self, r, *secrets):
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for s in secrets:
            self.assertNotIn(s, r.stdout + r.stderr)
        return r

    def refused(self, r, *parts):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for p in parts:
            self.assertIn(p, r.stderr)
        return r

    def assertNoDaemon(self, h):
        deadline = time.time() + 3
        while pids_with_arg(h.home) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(pids_with_arg(h.home), [], "orphan daemon left behind")
        self.assertIsNone(h.pid())

    def daemon_env(self, h):
        pid = h.pid()
        self.assertIsNotNone(pid)
        self.assertTrue(alive(pid))
        env = proc_environ(pid)
        self.assertIsNotNone(env)
        return env

    # --- env file ---------------------------------------------------------
    def upstream(self, h):
        """A recording HTTPS stand-in for api.openai.com on a kernel-chosen
        loopback port (own test CA, tests/integration/proxy/fixtures.py), and
        the only variables `start` gets on top of CleanHome's minimal ones to
        reach it: the engine trusts the test CA (SSL_CERT_FILE, an allowlisted
        daemon variable) and resolves the provider host to it
        (SANDBOX_EGRESS_SERVE_ARGS, appended to the `serve` argv)."""
        pki = fixtures.make_pki(h.root)
        up = fixtures.start_upstream(pki)
        self.addCleanup(up.server_close)
        self.addCleanup(up.shutdown)
        return up, {"SSL_CERT_FILE": pki["upstream_ca"],
                    "SANDBOX_EGRESS_SERVE_ARGS": "--resolve api.openai.com:%d:127.0.0.1" % up.port}

    def through_tunnel(self, h, host, port, path, headers):
        """One HTTPS request through the daemon's tunnel (CONNECT host:port to
        the address proxy.yaml says it listens on), trusting the engine's CA
        from the state dir; returns (status, response head and body)."""
        with open(os.path.join(h.state, "proxy.yaml")) as f:
            listen = next(line.split(":", 1)[1].strip().strip('"') for line in f
                          if line.strip().startswith("tunnel_listen:"))
        addr, tport = listen.rsplit(":", 1)
        self.assertEqual(int(tport), PORTS["env_file"])
        ctx = ssl.create_default_context(cafile=os.path.join(h.state, "ca.crt"))
        conn = http.client.HTTPSConnection(addr, int(tport), context=ctx, timeout=30)
        try:
            conn.set_tunnel(host, port)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            return resp.status, str(resp.getheaders()) + resp.read().decode("latin-1")
        finally:
            conn.close()

    def test_env_file_reaches_the_daemon_from_a_clean_environment(self):
        h = self.make()
        key = "sk-file-" + os.urandom(8).hex()
        envfile = h.write("llm.env", "# provider keys\nexport OPENAI_API_KEY='%s'\n" % key)
        # The stand-in upstream is on loopback, which the default deny list
        # refuses: the egress e2e stack's list without loopback.
        os.makedirs(h.home)
        with open(os.path.join(h.home, "config.yaml"), "w") as f:
            f.write("proxy:\n  upstream_deny_cidrs: %s\n"
                    % fixtures.yaml_list(egress_stack.DEFAULT_DENY_NO_LOOPBACK))
        r = self.ok(h.run("setup", "--isolation", "bridge", "--tunnel-port", str(PORTS["env_file"]),
                          "--env-file", envfile), key)
        self.assertIn("env_file: %s" % envfile, h.config())
        self.assertNotIn(key, h.config())
        self.assertEqual(h.mapped(), ["OPENAI_API_KEY"])
        with open(os.path.join(h.state, "mappings.json")) as f:
            token = next(t["proxy_token"] for t in json.load(f)["tokens"] if t["env_name"] == "OPENAI_API_KEY")
        self.assertNotIn(key, token)

        up, engine_env = self.upstream(h)
        r = self.ok(h.run("start", env=engine_env), key)  # no credential exported
        self.assertIn("credentials from the environment, then " + envfile, r.stdout)
        env = self.daemon_env(h)
        self.assertEqual(env[b"OPENAI_API_KEY"], key.encode())
        self.assertEqual(env[b"SSL_CERT_FILE"], engine_env["SSL_CERT_FILE"].encode())
        self.assertEqual(set(k.decode() for k in env) - ALLOWED_ENV, {"OPENAI_API_KEY"})

        # End to end: the client sends the proxy token, the upstream receives
        # the key from the env file, the client never sees it.
        status, seen = self.through_tunnel(h, "api.openai.com", up.port, "/v1/models",
                                           {"Authorization": "Bearer " + token})
        self.assertEqual(status, 200, seen)
        rec = up.recorder.last()
        self.assertIsNotNone(rec, "the upstream received nothing")
        self.assertEqual(rec["path"], "/v1/models")
        self.assertEqual(rec["headers"]["authorization"], "Bearer " + key)
        self.assertNotIn(key, seen)
        self.assertNotIn(token, json.dumps(rec))

        s = self.ok(h.run("status", "--json"), key)
        doc = json.loads(s.stdout)
        self.assertEqual(doc["credential_env_file"], envfile)
        self.assertEqual(doc["problems"], [])
        self.assertTrue(doc["mappings"][0]["credential_present"])
        self.assertIn(envfile, self.ok(h.run("status"), key).stdout)

        # An exported value wins over the file.
        self.ok(h.run("restart", env={"OPENAI_API_KEY": "sk-exported"}), key)
        self.assertEqual(self.daemon_env(h)[b"OPENAI_API_KEY"], b"sk-exported")
        self.ok(h.run("stop"))

        # A plain re-setup keeps the recorded file and its provider.
        self.ok(h.run("setup", "--isolation", "bridge"), key)
        self.assertIn("env_file: %s" % envfile, h.config())
        self.assertEqual(h.mapped(), ["OPENAI_API_KEY"])

    def test_env_file_refusals_name_the_file_and_the_fix(self):
        h = self.make()
        key = "sk-file-" + os.urandom(8).hex()
        envfile = h.write("llm.env", "OPENAI_API_KEY=%s\n" % key, mode=0o640)
        r = self.ok(h.run("setup", "--isolation", "bridge", "--tunnel-port", str(PORTS["env_file"]),
                          "--env-file", envfile), key)
        self.assertIn("chmod 600 " + envfile, r.stderr)  # setup warns: it reads names only

        r = self.refused(h.run("start"), envfile, "mode 0640", "chmod 600 " + envfile, "proxy.env_file")
        self.assertNotIn(key, r.stdout + r.stderr)
        self.assertNoDaemon(h)
        doc = json.loads(h.run("status", "--json").stdout)
        self.assertTrue(any("chmod 600" in p for p in doc["problems"]), doc["problems"])

        os.chmod(envfile, 0o600)
        os.rename(envfile, envfile + ".real")
        os.symlink(envfile + ".real", envfile)
        self.refused(h.run("start"), envfile + " is a symbolic link")
        self.assertNoDaemon(h)

        os.unlink(envfile)
        self.refused(h.run("start"), envfile + " does not exist", "--no-env-file")
        self.assertNoDaemon(h)

        # start --env-file overrides the record for one start.
        r = self.ok(h.run("start", "--env-file", envfile + ".real"), key)
        self.assertEqual(self.daemon_env(h)[b"OPENAI_API_KEY"], key.encode())
        # restart refuses a bad file before stopping the running daemon.
        pid = h.pid()
        self.refused(h.run("restart"), "does not exist", "left running")
        self.assertEqual(h.pid(), pid)
        self.assertTrue(alive(pid))
        self.ok(h.run("stop"))

        # --no-env-file forgets it (the key is then exported).
        self.ok(h.run("setup", "--isolation", "bridge", "--no-env-file", env={"OPENAI_API_KEY": "sk-x"}))
        self.assertNotIn("env_file", h.config())
        r = h.run("setup", "--env-file", envfile, "--no-env-file")
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_mapped_credential_absent_everywhere_names_the_file(self):
        h = self.make()
        envfile = h.write("llm.env", "OPENAI_API_KEY=sk-a\nANTHROPIC_API_KEY=sk-b\n")
        self.ok(h.run("setup", "--isolation", "bridge", "--tunnel-port", str(PORTS["override"]),
                      "--env-file", envfile))
        other = h.write("other.env", "OPENAI_API_KEY=sk-c\n")
        r = self.refused(h.run("start", "--env-file", other), "ANTHROPIC_API_KEY", other)
        self.assertNotIn("sk-c", r.stderr)
        self.assertNoDaemon(h)

    # --- Bitwarden --------------------------------------------------------
    def with_bws(self, h, secrets):
        bindir = os.path.join(h.root, "bwsbin")
        os.makedirs(bindir, exist_ok=True)
        h.bws_log = os.path.join(h.root, "bws.log")
        doc = [{"id": "id-%d" % i, "organizationId": "org", "projectId": "proj-1", "key": k, "value": v,
                "note": "", "creationDate": "2026-01-01T00:00:00Z", "revisionDate": "2026-01-01T00:00:00Z"}
               for i, (k, v) in enumerate(secrets.items())]
        p = os.path.join(bindir, "bws")
        with open(p, "w") as f:
            f.write(BWS % {"log": h.bws_log, "doc": json.dumps(doc, indent=2)})
        os.chmod(p, 0o755)
        h.path_env = bindir + os.pathsep + os.environ["PATH"]

    def bws_calls(self, h):
        try:
            with open(h.bws_log) as f:
                return len(f.read().splitlines())
        except OSError:
            return 0

    def test_from_bitwarden_discovers_names_and_switches_back(self):
        h = self.make()
        self.with_bws(h, {"OPENAI_API_KEY": "sk-bws-openai", "GOOGLE_API_KEY": "g-bws", "UNMAPPED_SECRET": "nope",
                          "MISTRAL_API_KEY": ""})
        tok = {"BWS_ACCESS_TOKEN": "tok-123"}
        # ANTHROPIC_API_KEY is exported but not in the project: with Bitwarden it is not mapped.
        r = self.ok(h.run("setup", "--isolation", "bridge", "--tunnel-port", str(PORTS["bitwarden"]),
                          "--from-bitwarden", "--bitwarden-project", "proj-1",
                          env=dict(tok, ANTHROPIC_API_KEY="sk-ant-exported")),
                    "sk-bws-openai", "g-bws", "tok-123")
        self.assertIn("Bitwarden project proj-1", r.stdout)
        self.assertEqual(self.bws_calls(h), 1)
        self.assertIn("credential_source: bitwarden", h.config())
        self.assertIn("bitwarden_project: proj-1", h.config())
        self.assertEqual(h.mapped(), ["GEMINI_API_KEY", "OPENAI_API_KEY"])

        r = self.ok(h.run("start", env=dict(tok, OPENAI_API_KEY="sk-env", ANTHROPIC_API_KEY="sk-ant-exported")),
                    "sk-bws-openai", "tok-123")
        self.assertIn("credentials from Bitwarden project proj-1", r.stdout)
        env = self.daemon_env(h)
        self.assertEqual(env[b"OPENAI_API_KEY"], b"sk-bws-openai")
        self.assertEqual(env[b"GEMINI_API_KEY"], b"g-bws")
        self.assertEqual(set(k.decode() for k in env) - ALLOWED_ENV, {"OPENAI_API_KEY", "GEMINI_API_KEY"})
        status = json.loads(h.run("status", "--json").stdout)
        self.assertEqual(status["credential_source"], "bitwarden")
        self.assertEqual(status["bitwarden_project"], "proj-1")
        self.ok(h.run("stop"))

        # A plain re-setup keeps the source (and asks bws again).
        self.ok(h.run("setup", "--isolation", "bridge", env=tok), "sk-bws-openai")
        self.assertEqual(self.bws_calls(h), 3)  # setup, start, setup
        self.assertIn("credential_source: bitwarden", h.config())
        self.assertEqual(h.mapped(), ["GEMINI_API_KEY", "OPENAI_API_KEY"])

        # --no-bitwarden: back to the environment, bws no longer asked.
        self.ok(h.run("setup", "--isolation", "bridge", "--no-bitwarden", env={"ANTHROPIC_API_KEY": "sk-ant-x"}))
        self.assertEqual(self.bws_calls(h), 3)
        self.assertIn("credential_source: env", h.config())
        self.assertEqual(h.mapped(), ["ANTHROPIC_API_KEY"])
        self.ok(h.run("start", env={"ANTHROPIC_API_KEY": "sk-ant-x"}), "sk-ant-x")
        self.assertEqual(self.daemon_env(h)[b"ANTHROPIC_API_KEY"], b"sk-ant-x")
        self.ok(h.run("stop"))

        r = h.run("setup", "--from-bitwarden", "--no-bitwarden")
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_bitwarden_token_in_the_env_file(self):
        h = self.make()
        self.with_bws(h, {"OPENAI_API_KEY": "sk-bws-openai"})
        envfile = h.write("bws.env", "BWS_ACCESS_TOKEN=tok-123\n")
        self.ok(h.run("setup", "--isolation", "bridge", "--tunnel-port", str(PORTS["bitwarden"]),
                      "--from-bitwarden", "--bitwarden-project", "proj-1", "--env-file", envfile), "tok-123")
        self.assertEqual(h.mapped(), ["OPENAI_API_KEY"])
        self.ok(h.run("start"), "tok-123", "sk-bws-openai")
        env = self.daemon_env(h)
        self.assertEqual(env[b"OPENAI_API_KEY"], b"sk-bws-openai")
        self.assertNotIn(b"BWS_ACCESS_TOKEN", env)
        self.ok(h.run("stop"))

    def test_policy_commands_see_bitwarden_credentials(self):
        h = self.make()
        self.with_bws(h, {"OPENAI_API_KEY": "sk-bws-openai", "CORP_TOKEN": "corp-bws-value"})
        tok = {"BWS_ACCESS_TOKEN": "tok-123"}
        self.ok(h.run("setup", "--isolation", "bridge", "--tunnel-port", str(PORTS["bitwarden"]),
                      "--from-bitwarden", "--bitwarden-project", "proj-1", env=tok), "tok-123")
        self.assertEqual(h.mapped(), ["OPENAI_API_KEY"])
        # A credential that only the Bitwarden project holds gets its token at once.
        r = self.ok(h.run("secrets", "add", "CORP_TOKEN", "--host", "api.corp.example", "--carrier", "header",
                          "--header", "X-Corp-Key", env=tok), "tok-123", "corp-bws-value")
        self.assertIn("new proxy token for CORP_TOKEN", r.stdout)
        self.assertEqual(h.mapped(), ["CORP_TOKEN", "OPENAI_API_KEY"])
        self.assertEqual(self.bws_calls(h), 2)
        # Exported but not in the project: not a Bitwarden credential, no token.
        r = self.ok(h.run("secrets", "add", "OTHER_TOKEN", "--host", "api.other.example", "--carrier", "bearer",
                          env=dict(tok, OTHER_TOKEN="other-env-value")), "other-env-value")
        self.assertNotIn("new proxy token", r.stdout)
        self.assertEqual(h.mapped(), ["CORP_TOKEN", "OPENAI_API_KEY"])
        # Bitwarden unreachable: the edit is kept, mapped tokens stay, a warning says when the rest come.
        self.with_bws(h, {"OPENAI_API_KEY": "sk-bws-openai", "CORP_TOKEN": "corp-bws-value",
                          "OTHER_TOKEN": "other-bws-value"})
        r = self.ok(h.run("allow", "api.extra.example", env={"BWS_ACCESS_TOKEN": "wrong"}), "wrong")
        self.assertIn("invalid access token", r.stderr)
        self.assertIn("next 'sandbox-egress setup'", r.stderr)
        self.assertEqual(h.mapped(), ["CORP_TOKEN", "OPENAI_API_KEY"])
        self.assertIn("api.extra.example", h.config())
        r = self.ok(h.run("allow", "api.extra2.example", env=tok), "tok-123", "other-bws-value")
        self.assertIn("new proxy token for OTHER_TOKEN", r.stdout)
        self.assertEqual(h.mapped(), ["CORP_TOKEN", "OPENAI_API_KEY", "OTHER_TOKEN"])

    def test_from_bitwarden_refusals(self):
        h = self.make()
        self.with_bws(h, {"OPENAI_API_KEY": "sk-bws-openai"})
        r = self.refused(h.run("setup", "--isolation", "bridge", "--from-bitwarden", "--bitwarden-project", "proj-1",
                               env={"OPENAI_API_KEY": "sk-env"}),
                         "$BWS_ACCESS_TOKEN is not set", "--no-bitwarden")
        self.assertFalse(os.path.exists(os.path.join(h.home, "config.yaml")))
        self.assertFalse(os.path.exists(os.path.join(h.state, "proxy.yaml")))
        self.refused(h.run("setup", "--isolation", "bridge", "--from-bitwarden",
                           env={"BWS_ACCESS_TOKEN": "tok-123"}),
                     "bitwarden_project is not set", "--bitwarden-project NAME")
        self.refused(h.run("setup", "--isolation", "bridge", "--from-bitwarden", "--bitwarden-project", "proj-1",
                           env={"BWS_ACCESS_TOKEN": "wrong"}),
                     "invalid access token")
        self.assertFalse(os.path.exists(os.path.join(h.home, "config.yaml")))
        self.assertEqual(self.bws_calls(h), 1)  # only the wrong-token run reached bws
        r = h.run("setup", "--bitwarden-project", "")
        self.assertEqual(r.returncode, 2, r.stderr)

        # allow_env_fallback: a warning, and the environment is used.
        os.makedirs(h.home, exist_ok=True)
        with open(os.path.join(h.home, "config.yaml"), "w") as f:
            f.write("proxy:\n  allow_env_fallback: true\n")
        r = self.ok(h.run("setup", "--isolation", "bridge", "--tunnel-port", str(PORTS["bitwarden"]),
                          "--from-bitwarden", "--bitwarden-project", "proj-1",
                          env={"ANTHROPIC_API_KEY": "sk-ant-env"}), "sk-ant-env")
        self.assertIn("allow_env_fallback", r.stderr)
        self.assertIn("$BWS_ACCESS_TOKEN is not set", r.stderr)
        self.assertEqual(h.mapped(), ["ANTHROPIC_API_KEY"])
        self.assertIn("credential_source: bitwarden", h.config())


if __name__ == "__main__":
    harness.main()
