"""Helpers for the daemon lifecycle tests: a private SANDBOX_RUN_HOME with the
state files `sandbox-egress setup` would write (written directly here so that
the tunnel binds 127.0.0.1 on a port chosen by the test), a stand-in engine for
the iron-proxy engine path, and process bookkeeping so that every daemon a
test starts is gone when it ends.
"""
import atexit
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
from harness import alive, pids_with_arg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "standin_engine.py")
ALLOWED_ENV = {"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR",
               "SSL_CERT_DIR", "SSL_CERT_FILE", "SANDBOX_EGRESS_MGMT_KEY", "SANDBOX_EGRESS_NONCE"}


# A home's daemon binds its tunnel port P, P+1 (http) and P+2 (management).
# Each suite reserves a fixed block below 32768 (reserve_ports): a port in the
# kernel's ephemeral range (32768-60999) can be taken meanwhile by any outgoing
# connection's source port, and the daemon then fails to bind.
_ports = {"block": None, "next": 0}


def reserve_ports(first, last):
    """This suite's tunnel ports: first..last (inclusive), below 32768."""
    assert 1024 < first and last < 32768 and last - first >= 2, (first, last)
    _ports["block"] = (first, last)
    _ports["next"] = first


def _free(port):
    t = socket.socket()  # no SO_REUSEADDR: a port in TIME_WAIT is skipped too
    try:
        t.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        t.close()


def next_port_triplet():
    """The next P of the suite's block such that P, P+1 and P+2 are free on
    127.0.0.1 right now; wraps around (the daemons of finished tests are gone)."""
    if _ports["block"] is None:
        raise RuntimeError("no tunnel ports reserved: call daemon_support.reserve_ports(FIRST, LAST)")
    first, last = _ports["block"]
    count = (last - first + 1) // 3
    for _ in range(count):
        p = _ports["next"]
        _ports["next"] = p + 3 if p + 3 + 2 <= last else first
        if all(_free(q) for q in (p, p + 1, p + 2)):
            return p
    raise RuntimeError("no free port triplet in %d-%d" % (first, last))


def proc_environ(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return dict(e.split(b"=", 1) for e in f.read().split(b"\0") if b"=" in e)
    except OSError:
        return None


def pids_with_env(name, value):
    """Live processes whose environment holds name=value."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            env = proc_environ(int(d))
            if env and env.get(name.encode()) == value.encode() and alive(int(d)):
                out.append(int(d))
    return out


class EgressHome:
    """A temporary SANDBOX_RUN_HOME with egress set up."""

    _ca_dir = None

    def __init__(self, engine="iron-proxy", mode="normal", auto_install=False, extra_config="",
                 management=True, mappings=None):
        self.root = tempfile.mkdtemp(prefix="sr-daemon-")
        self.home = os.path.join(self.root, "home")
        self.state = os.path.join(self.home, "egress")
        os.makedirs(self.state, mode=0o700)
        os.chmod(self.state, 0o700)
        self.port = next_port_triplet()
        self.engine = engine
        self.write_config(engine, auto_install, extra_config)
        self.write_ca()
        self.write_proxy_yaml(management=management)
        self.write_private("management.token", "mgmt-" + os.urandom(16).hex() + "\n")
        self.write_mappings(mappings if mappings is not None else [
            {"proxy_token": "openai-" + "a" * 32, "env_name": "OPENAI_API_KEY",
             "upstream_hosts": ["api.openai.com"], "match_headers": ["Authorization"], "alias_env_names": []},
            {"proxy_token": "gemini-" + "b" * 32, "env_name": "GEMINI_API_KEY",
             "upstream_hosts": ["generativelanguage.googleapis.com"], "match_headers": ["x-goog-api-key"],
             "alias_env_names": ["GOOGLE_API_KEY"]}])
        if engine == "iron-proxy" and mode is not None:
            self.install_standin(mode)

    # --- state files -------------------------------------------------------
    def path(self, name):
        return os.path.join(self.state, name)

    def write_private(self, name, text):
        p = self.path(name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, text.encode())
        os.close(fd)

    def write_config(self, engine, auto_install, extra=""):
        with open(os.path.join(self.home, "config.yaml"), "w") as f:
            f.write("proxy:\n  enabled: true\n  engine: %s\n  tunnel_port: %d\n  auto_install: %s\n%s"
                    % (engine, self.port, "true" if auto_install else "false", extra))

    def write_ca(self):
        if EgressHome._ca_dir is None:
            EgressHome._ca_dir = tempfile.mkdtemp(prefix="sr-daemon-ca-")
            # One test CA per test process, removed with it (it holds a key).
            atexit.register(shutil.rmtree, EgressHome._ca_dir, True)
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", os.path.join(EgressHome._ca_dir, "ca.key"),
                            "-out", os.path.join(EgressHome._ca_dir, "ca.crt"), "-subj", "/CN=sr-daemon-test",
                            "-days", "2"], check=True, capture_output=True)
        shutil.copy(os.path.join(EgressHome._ca_dir, "ca.crt"), self.path("ca.crt"))
        os.chmod(self.path("ca.crt"), 0o644)
        self.write_private("ca.key", open(os.path.join(EgressHome._ca_dir, "ca.key")).read())

    def write_proxy_yaml(self, management=True, invalid=False):
        p = self.port
        mgmt = ("management:\n  listen: \"127.0.0.1:%d\"\n  api_key_env: SANDBOX_EGRESS_MGMT_KEY\n" % (p + 2)
                if management else "")
        transform = "INVALID" if invalid else "allowlist"
        text = (
            "dns:\n  listen: \"127.0.0.1:0\"\n  proxy_ip: 127.0.0.1\n"
            "proxy:\n  http_listen: \"127.0.0.1:%d\"\n  https_listen: \"127.0.0.1:0\"\n"
            "  tunnel_listen: \"127.0.0.1:%d\"\n  max_request_body_bytes: 1048576\n"
            "  max_response_body_bytes: 0\n  upstream_response_header_timeout: 30s\n"
            "  upstream_deny_cidrs:\n    - 127.0.0.0/8\n"
            "tls:\n  ca_cert: %s\n  ca_key: %s\n  cert_cache_size: 1000\n  leaf_cert_expiry_hours: 72\n"
            "metrics:\n  listen: \"127.0.0.1:0\"\n%s"
            "log:\n  level: info\n"
            "transforms:\n  - name: %s\n    config:\n      domains:\n        - api.openai.com\n"
            "  - name: secrets\n    config:\n      secrets:\n"
            "        - source:\n            type: env\n            var: OPENAI_API_KEY\n"
            "          replace:\n            proxy_value: openai-%s\n            match_headers:\n"
            "              - Authorization\n            match_query: false\n            match_path: false\n"
            "            match_body: false\n            require: false\n"
            "          rules:\n            - host: api.openai.com\n"
        ) % (p + 1, p, self.path("ca.crt"), self.path("ca.key"), mgmt, transform, "a" * 32)
        self.write_private("proxy.yaml", text)

    def write_mappings(self, tokens):
        self.write_private("mappings.json", json.dumps({"version": 1, "tokens": tokens}))

    def install_standin(self, mode):
        os.makedirs(os.path.join(self.home, "bin"), exist_ok=True)
        trap = "trap '' TERM\n" if mode == "ignore_term" else ""
        script = "#!/bin/sh\n%sexec %s %s %s \"$@\"\n" % (trap, sys.executable, STANDIN, mode)
        p = os.path.join(self.home, "bin", "iron-proxy")
        with open(p, "w") as f:
            f.write(script)
        os.chmod(p, 0o755)

    # --- running the CLI ---------------------------------------------------
    def env(self, **extra):
        env = dict(os.environ)
        env["SANDBOX_RUN_HOME"] = self.home
        # The mapped credentials of the default mappings; tests override them.
        env["OPENAI_API_KEY"] = "sk-test-openai"
        env["GEMINI_API_KEY"] = "test-gemini"
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def egress(self, *args, timeout=60, **extra_env):
        return subprocess.run([harness.SANDBOX_EGRESS] + list(args), capture_output=True, text=True,
                              timeout=timeout, env=self.env(**extra_env))

    def popen(self, *args, **extra_env):
        return subprocess.Popen([harness.SANDBOX_EGRESS] + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env(**extra_env))

    def pid(self):
        try:
            return int(open(self.path("daemon.pid")).read())
        except OSError:
            return None

    def nonce(self):
        try:
            return open(self.path("daemon.nonce")).read().strip()
        except OSError:
            return None

    def daemons(self):
        """Live processes started for this home (engine argv names our files)."""
        return pids_with_arg(self.home)

    def cleanup(self):
        harness.kill_pids(self.daemons())
        shutil.rmtree(self.root, ignore_errors=True)


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


class DaemonTestCase(unittest.TestCase):
    def make_home(self, **kw):
        h = EgressHome(**kw)
        self.addCleanup(h.cleanup)
        return h

    def assertNoDaemon(self, home):
        deadline = time.time() + 3
        while home.daemons() and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(home.daemons(), [], "orphan daemon left behind")
