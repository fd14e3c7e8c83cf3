"""An egress stack for end-to-end tests and the demo: a temporary
SANDBOX_RUN_HOME, a local HTTPS stand-in for the providers (own test CA,
records every request; reuses tests/integration/proxy/fixtures.py), and the
built-in engine started by `sandbox-egress start` with the provider hosts
resolved to the stand-in (SANDBOX_EGRESS_SERVE_ARGS=--resolve ...) and
SSL_CERT_FILE = the test CA. Everything listens on loopback or the Docker
bridge gateway; nothing dials anywhere else.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "proxy"))
import harness  # noqa: E402
import fixtures  # noqa: E402
import reaper  # noqa: E402

# The runner's provider keys, proxy settings, CA file and egress overrides.
PROVIDER_PREFIXES = harness.PROVIDER_PREFIXES + (
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "SSL_CERT_FILE", "SANDBOX_EGRESS")
DEFAULT_DENY_NO_LOOPBACK = ["::1/128", "169.254.0.0/16", "fe80::/10", "10.0.0.0/8",
                            "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "100.64.0.0/10",
                            "198.18.0.0/15", "0.0.0.0/8", "::/128", "64:ff9b::/96",
                            "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fec0::/10",
                            "224.0.0.0/4", "ff00::/8", "240.0.0.0/4"]
KEYS = {"OPENAI_API_KEY": "sk-test-real-openai-0123456789abcdef",
        "ANTHROPIC_API_KEY": "sk-ant-test-real-anthropic-0123456789",
        "GEMINI_API_KEY": "AIza-test-real-gemini-0123456789"}
HOSTS = ["api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com"]


def start_upstream_at(pki, port=0, host="127.0.0.1"):
    """fixtures.start_upstream on a chosen port (the demo uses 443)."""
    return fixtures.start_upstream(pki, host=host, port=port)


class Stack:
    def __init__(self, tunnel_port, isolation="internal", deny=None, upstream_port=0,
                 keys=None, extra_config="", upstream_host="127.0.0.1", upstream_names=(),
                 upstream_handler=None, extra_resolve=()):
        self.root = tempfile.mkdtemp(prefix="sr-egress-e2e-")
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        # Should this process die before cleanup() (a ctest timeout SIGKILLs
        # it), the daemon `start` detached is killed and the firewall removed.
        self.reaped = reaper.watch(self.root, ["env", "SANDBOX_RUN_HOME=" + self.home,
                                               harness.SANDBOX_EGRESS, "disable"])
        self.keys = dict(KEYS if keys is None else keys)
        # upstream_names: further names the stand-in's certificate is valid
        # for; upstream_handler: a socketserver handler of the caller's
        # instead of the JSON echo (fixtures.start_upstream's `handler`).
        self.pki = fixtures.make_pki(self.root, upstream_names)
        self.upstream_host = upstream_host
        self.upstream = fixtures.start_upstream(self.pki, host=upstream_host, port=upstream_port,
                                                handler=upstream_handler)
        self.up_port = self.upstream.server_address[1]
        self.tunnel_port = tunnel_port
        # Further (name, port) pairs the engine resolves to the stand-in's
        # host (a plain-HTTP stand-in on port 80, say).
        self.extra_resolve = list(extra_resolve)
        deny = DEFAULT_DENY_NO_LOOPBACK if deny is None else deny
        with open(os.path.join(self.home, "config.yaml"), "w") as f:
            f.write("proxy:\n  enabled: true\n  engine: builtin\n  tunnel_port: %d\n"
                    "  isolation: %s\n  upstream_deny_cidrs: %s\n%s"
                    % (tunnel_port, isolation, fixtures.yaml_list(deny), extra_config))
        self.started = False

    def env(self, extra=None):
        return harness.home_env(self.home, self.root, extra, PROVIDER_PREFIXES)

    def engine_env(self):
        pairs = [(h, p) for h in HOSTS for p in {self.up_port, 443}] + list(self.extra_resolve)
        resolve = " ".join("--resolve %s:%d:%s" % (h, p, self.upstream_host) for h, p in pairs)
        return self.env(dict(self.keys, SSL_CERT_FILE=self.pki["upstream_ca"],
                             SANDBOX_EGRESS_SERVE_ARGS=resolve))

    def egress(self, *args, env=None):
        return subprocess.run([harness.SANDBOX_EGRESS, *args], env=env or self.env(),
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def setup_and_start(self):
        r = self.egress("setup", env=self.env(self.keys))
        if r.returncode != 0:
            raise RuntimeError("sandbox-egress setup failed: " + r.stdout + r.stderr)
        r = self.egress("start", env=self.engine_env())
        if r.returncode != 0:
            raise RuntimeError("sandbox-egress start failed: " + r.stdout + r.stderr)
        self.started = True

    def stop(self):
        r = self.egress("stop")
        self.started = False
        return r

    def run(self, *args, env=None, timeout=120):
        return subprocess.run([harness.SANDBOX_RUN, *args], env=self.env(env),
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def url(self, host, path):
        return "https://%s:%d%s" % (host, self.up_port, path)

    def cleanup(self):
        try:
            if self.started:
                self.stop()
            # isolation: internal installed SANDBOX-EGRESS-<tunnel port>.
            harness.egress_disable(self.home, self.env())
        finally:
            self.upstream.shutdown()
            shutil.rmtree(self.root, ignore_errors=True)
            self.reaped()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def started(tunnel_port, prepare=None, **options):
    """A Stack(tunnel_port, **options), set up and started (after
    `prepare(stack)`, when given); cleaned up before a failure propagates."""
    s = Stack(tunnel_port, **options)
    try:
        if prepare:
            prepare(s)
        s.setup_and_start()
    except BaseException:
        s.cleanup()
        raise
    return s


class StackCase(unittest.TestCase):
    """A test class over one egress stack on its tunnel port `port`;
    setUpClass skips when no Docker daemon answers."""
    port = None

    @classmethod
    def setUpClass(cls):
        problem = harness.docker_problem()
        if problem:
            raise unittest.SkipTest(problem)

    @classmethod
    def start_stack(cls, prepare=None, **options):
        """cls.s: started(cls.port, prepare, **options), cleaned up after the
        class, or when the rest of setUpClass fails."""
        cls.s = started(cls.port, prepare, **options)
        cls.addClassCleanup(cls.s.cleanup)
        return cls.s


def mask(value):
    return value[:6] + "***" if value else "(none)"
