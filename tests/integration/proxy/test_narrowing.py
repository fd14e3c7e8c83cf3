"""Per-sandbox narrowing through the real `sandbox-egress serve`: a
narrowings.json (`--narrowings`) maps a client source address to a subset of
the allowlist. Clients bind distinct loopback source addresses (127.0.0.2 is
narrowed to echo.test, 127.0.0.3 is not) and go through every path: the
CONNECT listener, the forward listener (absolute-form and origin-form, as an
intercepted port-80 connection arrives) and the transparent HTTPS listener.
What the stand-ins received is asserted, and the audit lines. Reload and
restart keep the registrations; a file that does not load is refused.

The stand-ins listen on ports 443 / 80 of a loopback address of their own, so
the test runs as root."""
import json
import os
import socket
import ssl
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import fixtures  # noqa: E402
from engine_case import EngineCase  # noqa: E402

OPENAI_REAL = "sk-real-openai-narrow-7c1d"
OPENAI_TOKEN = "openai-" + "fedcba9876543210" * 2
ALLOW = ["api.openai.com", "echo.test"]
SECRET_RULES = [{"env": "OPENAI_API_KEY", "token": OPENAI_TOKEN, "headers": ["Authorization"],
                 "hosts": ["api.openai.com"]}]
MGMT_KEY = "mgmt-key-narrow-0123456789abcdef"
NARROWED = "127.0.0.2"
FREE = "127.0.0.3"


def auth(host):
    """The sandbox's token, on requests to the provider it belongs to."""
    return "Authorization: Bearer %s\r\n" % OPENAI_TOKEN if host == "api.openai.com" else ""


def narrowings(entries):
    return {"version": 1, "sandboxes": [
        {"id": "id-%d" % i, "address": a, "label": label, "hosts": hosts, "owner_pid": 1, "created": 1}
        for i, (a, label, hosts) in enumerate(entries)]}


class NarrowingTest(EngineCase):
    dir_prefix = "sr-narrowing-test-"
    never_logged = (OPENAI_REAL, OPENAI_TOKEN)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_port_standins()
        cls.config = os.path.join(cls.dir, "proxy.yaml")
        cls.audit = os.path.join(cls.dir, "audit.log")
        cls.narrow_path = os.path.join(cls.dir, "narrowings.json")
        cls.write_narrowings([(NARROWED, "profile docs", ["echo.test"])])
        fixtures.render_config(cls.config, cls.pki, ALLOW, SECRET_RULES, ["10.0.0.0/8"])
        cls.resolve = fixtures.resolve_all(ALLOW, (443, 80), cls.up_ip)
        cls.env = fixtures.engine_env(MGMT_KEY, cls.pki, OPENAI_API_KEY=OPENAI_REAL)
        cls.start_engine()

    @classmethod
    def start_engine(cls):
        cls.start_class_engine(cls.config, cls.env, resolve=cls.resolve, audit_log=cls.audit,
                               flags=["--narrowings", cls.narrow_path])

    @classmethod
    def write_narrowings(cls, entries):
        tmp = cls.narrow_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(narrowings(entries), f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, cls.narrow_path)

    def reload(self):
        host, port = self.engine.addr["management"]
        req = urllib.request.Request("http://%s:%d/v1/reload" % (host, port), method="POST",
                                     headers={"Authorization": "Bearer " + MGMT_KEY})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def connect_from(self, source, role):
        return socket.create_connection(self.engine.addr[role], timeout=10, source_address=(source, 0))

    def via_connect(self, source, host, path):
        """CONNECT host:443 from `source`, then GET path with the token."""
        s = self.connect_from(source, "tunnel")
        s.sendall(("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" % (host, host)).encode())
        head = fixtures.read_head(s).decode("latin-1")
        if not head.startswith("HTTP/1.1 200"):
            s.close()
            return head
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        with ctx.wrap_socket(s, server_hostname=host) as t:
            t.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n"
                       % (path, host, auth(host))).encode())
            return fixtures.read_until(t, None).decode("latin-1")

    def via_transparent(self, source, host, path):
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        with ctx.wrap_socket(self.connect_from(source, "https"), server_hostname=host) as t:
            t.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n"
                       % (path, host, auth(host))).encode())
            return fixtures.read_until(t, None).decode("latin-1")

    def via_forward(self, source, host, path, origin_form=False):
        with self.connect_from(source, "http") as s:
            target = path if origin_form else "http://%s%s" % (host, path)
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (target, host)).encode())
            return fixtures.read_until(s, None).decode("latin-1")

    def paths_seen(self):
        return [r["path"] for r in self.upstream.recorder.requests + self.plain.recorder.requests]

    def test_narrowed_sandbox_reaches_its_subset_only_on_every_path(self):
        self.upstream.recorder.clear()
        self.plain.recorder.clear()
        # Inside the subset: allowed on every path.
        r = self.via_connect(NARROWED, "echo.test", "/in-connect")
        self.assertTrue(r.startswith("HTTP/1.1 200"), r)
        self.assertTrue(self.via_transparent(NARROWED, "echo.test", "/in-sni").startswith("HTTP/1.1 200"))
        self.assertTrue(self.via_forward(NARROWED, "echo.test", "/in-fwd").startswith("HTTP/1.1 200"))
        # Allowlisted, outside the subset: 403, and nothing reaches the upstream.
        r = self.via_connect(NARROWED, "api.openai.com", "/out-connect")
        self.assertTrue(r.startswith("HTTP/1.1 403"), r)
        self.assertIn("outside this sandbox's narrowing (profile docs)", r)
        r = self.via_transparent(NARROWED, "api.openai.com", "/out-sni")
        self.assertTrue(r.startswith("HTTP/1.1 403"), r)
        r = self.via_forward(NARROWED, "api.openai.com", "/out-fwd")
        self.assertTrue(r.startswith("HTTP/1.1 403"), r)
        r = self.via_forward(NARROWED, "api.openai.com", "/out-origin", origin_form=True)
        self.assertTrue(r.startswith("HTTP/1.1 403"), r)
        seen = self.paths_seen()
        for p in ("/in-connect", "/in-sni", "/in-fwd"):
            self.assertIn(p, seen)
        for p in ("/out-connect", "/out-sni", "/out-fwd", "/out-origin"):
            self.assertNotIn(p, seen)
        # The same host from an un-narrowed sandbox, at the same time: the real key arrives.
        r = self.via_connect(FREE, "api.openai.com", "/free-connect")
        self.assertTrue(r.startswith("HTTP/1.1 200"), r)
        r = self.via_transparent(FREE, "api.openai.com", "/free-sni")
        self.assertTrue(r.startswith("HTTP/1.1 200"), r)
        got = {rec["path"]: rec["headers"] for rec in self.upstream.recorder.requests}
        self.assertEqual(got["/free-connect"]["authorization"], "Bearer " + OPENAI_REAL)
        self.assertEqual(got["/free-sni"]["authorization"], "Bearer " + OPENAI_REAL)
        # Audit: every line of the narrowed sandbox names the narrowing.
        refused = self.wait_audit(lambda l: l.get("narrowing") == "profile docs" and l["decision"] == "reject")
        self.assertTrue(any(l["method"] == "CONNECT" and l["host"] == "api.openai.com" for l in refused))
        self.assertTrue(any(l.get("path") == "/out-sni" for l in refused), refused)
        allowed = self.wait_audit(lambda l: l.get("path", "").endswith("/in-fwd"))
        self.assertEqual(allowed[-1]["narrowing"], "profile docs")
        free = self.wait_audit(lambda l: l.get("path") == "/free-sni")
        self.assertNotIn("narrowing", free[-1])

    def test_reload_and_restart_keep_registrations_and_a_bad_file_is_refused(self):
        # A new registration applies after a reload.
        self.write_narrowings([(NARROWED, "profile docs", ["echo.test"]), (FREE, "--egress-allow", ["echo.test"])])
        try:
            self.assertEqual(self.reload()[0], 200)
            self.assertTrue(self.via_forward(FREE, "api.openai.com", "/x").startswith("HTTP/1.1 403"))
            # A file that does not load: reload refused, the running narrowings stay.
            with open(self.narrow_path, "w") as f:
                f.write('{"version": 1, "sandboxes": [{"id": "a", "address": "127.0.0.3", "hosts": []}]}')
            status, body = self.reload()
            self.assertEqual(status, 422, body)
            self.assertIn("hosts", body)
            self.assertTrue(self.via_forward(FREE, "api.openai.com", "/y").startswith("HTTP/1.1 403"))
            # Nor does the engine start from it.
            self.engine.stop()
            with self.assertRaises(RuntimeError):
                self.start_engine()
            self.engine.stop()
            # Restarted from a good file: the registrations hold from the first request.
            self.write_narrowings([(NARROWED, "profile docs", ["echo.test"]), (FREE, "--egress-allow", ["echo.test"])])
            self.start_engine()
            self.assertTrue(self.via_forward(FREE, "api.openai.com", "/z").startswith("HTTP/1.1 403"))
            self.assertTrue(self.via_forward(NARROWED, "echo.test", "/w").startswith("HTTP/1.1 200"))
        finally:
            self.write_narrowings([(NARROWED, "profile docs", ["echo.test"])])
            if self.engine.proc.poll() is None:
                self.assertEqual(self.reload()[0], 200)
            else:
                self.start_engine()
        self.assertTrue(self.via_forward(FREE, "api.openai.com", "/v").startswith("HTTP/1.1 200"))


if __name__ == "__main__":
    unittest.main()
