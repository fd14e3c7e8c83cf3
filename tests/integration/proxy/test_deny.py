"""`sandbox-egress serve` never dials the unspecified address, and judges
IPv4-compatible and NAT64 addresses as the IPv4 address they embed. Names
are mapped to each address with --resolve; a listener on loopback proves
that nothing connected. Loopback ranges stand in for the denied ones: no
test dials anything but loopback."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import fixtures  # noqa: E402
from engine_case import EngineCase  # noqa: E402

MGMT_KEY = "mgmt-deny-key-0a1b2c3d4e5f6a7b"
# name -> the address it is resolved to
UNSPECIFIED = {"any4.test": "0.0.0.0", "any6.test": "[::]", "anymapped.test": "[::ffff:0.0.0.0]",
               "anynat64.test": "[64:ff9b::]"}
LOOPBACK_FORMS = {"mapped.test": "[::ffff:127.0.0.1]", "nat64.test": "[64:ff9b::7f00:1]",
                  "compat.test": "[::127.0.0.1]", "local-nat64.test": "[64:ff9b:1::7f00:1]"}


class Listener:
    """Accepts on 127.0.0.1:port and [::1]:port and counts the connections."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
        self.socks = []
        v4 = socket.socket()
        v4.bind(("127.0.0.1", 0))
        self.port = v4.getsockname()[1]
        self.socks.append(v4)
        try:
            v6 = socket.socket(socket.AF_INET6)
            v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            v6.bind(("::1", self.port))
            self.socks.append(v6)
        except OSError:
            pass  # no IPv6 loopback here: the IPv4 listener still counts
        for s in self.socks:
            s.listen(64)
            harness.accept_forever(s, self._count, threaded=False)

    def _count(self, conn, _peer):
        with self.lock:
            self.count += 1
        conn.close()

    def close(self):
        for s in self.socks:
            s.close()


class DenyTest(EngineCase):
    dir_prefix = "sr-proxy-deny-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.listener = Listener()
        cls.addClassCleanup(cls.listener.close)

    def start(self, deny, extra_names=()):
        names = dict(UNSPECIFIED, **LOOPBACK_FORMS)
        names.update(extra_names)
        config = os.path.join(self.dir, "proxy.yaml")
        fixtures.render_config(config, self.pki, sorted(names), [], deny or [])
        if deny is None:  # the key absent: the engine's default list
            with open(config) as f:
                text = "".join(l for l in f if "upstream_deny_cidrs" not in l)
            with open(config, "w") as f:
                f.write(text)
        self.audit = os.path.join(self.dir, "audit-%d.log" % time.monotonic_ns())
        resolve = ["%s:%d:%s" % (n, self.listener.port, a) for n, a in names.items()]
        self.engine = self.start_test_engine(config, fixtures.engine_env(MGMT_KEY),
                                             resolve=resolve, audit_log=self.audit)

    def forward(self, name):
        """A plain-HTTP request for http://name:port/ through the forward listener."""
        host, port = self.engine.addr["http"]
        with socket.create_connection((host, port), timeout=10) as s:
            s.sendall(b"GET http://%s:%d/probe HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n"
                      % (name.encode(), self.listener.port, name.encode(), self.listener.port))
            return fixtures.read_until(s, None).decode("latin-1")

    def tunnel(self, name):
        """curl through the CONNECT listener: the dial happens inside the tunnel."""
        r = subprocess.run(["curl", "-sS", "-x", self.engine.url("tunnel"), "--cacert",
                            self.pki["engine_ca"], "-o", "-", "-w", "\n%{http_code}",
                            "--max-time", "15", "https://%s:%d/probe" % (name, self.listener.port)],
                           capture_output=True, text=True, timeout=30)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body

    def audit_for(self, name):
        def lines():
            if not os.path.exists(self.audit):
                return []
            with open(self.audit) as f:
                return [json.loads(l) for l in f if l.strip() and json.loads(l)["host"] == name]
        deadline = time.time() + 5
        while time.time() < deadline and not lines():
            time.sleep(0.05)
        return lines()

    def assert_refused(self, name, why):
        before = self.listener.count
        answer = self.forward(name)
        self.assertTrue(answer.startswith("HTTP/1.1 403 "), answer)
        self.assertIn(why, answer)
        lines = self.audit_for(name)
        self.assertTrue(lines, name)
        self.assertEqual(lines[-1]["decision"], "reject")
        self.assertIn(why, lines[-1]["reason"])
        self.assertEqual(self.listener.count, before, name + ": something connected")

    def test_unspecified_refused_whatever_the_list(self):
        # An empty deny list: 127.0.0.1 is reached, every form of 0.0.0.0 and
        # :: is still refused and never dialled.
        self.start([], extra_names={"control.test": "127.0.0.1"})
        before = self.listener.count
        self.assertIn("HTTP/1.1 ", self.forward("control.test"))
        self.assertTrue(fixtures.wait_for(lambda: self.listener.count == before + 1))
        for name in UNSPECIFIED:
            with self.subTest(name=name):
                self.assert_refused(name, "is the unspecified address")
        before = self.listener.count
        code, body = self.tunnel("any4.test")
        self.assertEqual(code, 403, body)
        self.assertIn("0.0.0.0 is the unspecified address", body)
        self.assertEqual(self.listener.count, before)

    def test_embedded_ipv4_judged_as_ipv4(self):
        # Only IPv4 loopback is denied: its mapped, NAT64 (well-known and
        # local-use) and IPv4-compatible forms are refused as 127.0.0.1.
        self.start(["127.0.0.0/8"])
        for name in LOOPBACK_FORMS:
            with self.subTest(name=name):
                self.assert_refused(name, "is in the deny CIDR 127.0.0.0/8")
        before = self.listener.count
        code, body = self.tunnel("nat64.test")
        self.assertEqual(code, 403, body)
        self.assertIn("64:ff9b::7f00:1 is in the deny CIDR 127.0.0.0/8", body)
        self.assertEqual(self.listener.count, before)

    def test_default_list_refuses_them_too(self):
        # The default list (the key absent from proxy.yaml) covers 0.0.0.0/8,
        # ::/128 and the NAT64 prefixes as well.
        self.start(None)
        for name in ("mapped.test", "nat64.test", "compat.test", "local-nat64.test"):
            with self.subTest(name=name):
                self.assert_refused(name, "is in the deny CIDR")


if __name__ == "__main__":
    harness.main()
