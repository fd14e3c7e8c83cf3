"""One client cannot starve the others: `sandbox-egress serve` raises its
open-file limit, caps connections per client address and in total (503
over a cap, counted), keeps accepting through EMFILE without spinning, and
closes idle client connections and idle WebSockets. Real engine, real
sockets on loopback (127.0.0.2 and 127.0.0.3 are loopback addresses too)."""
import os
import resource
import selectors
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import fixtures  # noqa: E402
from engine_case import EngineCase  # noqa: E402

MGMT_KEY = "mgmt-limits-key-5a4b3c2d1e0f"
HOLD = 1100


def nofile(soft, hard):
    """preexec_fn: the engine starts under this open-file limit."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LimitsTest(EngineCase):
    dir_prefix = "sr-proxy-limits-"

    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < HOLD + 200:
            raise unittest.SkipTest("the test itself needs %d open files (hard limit %d)"
                                    % (HOLD + 200, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        super().setUpClass()
        cls.plain = cls.start_upstream(None)
        cls.ws = cls.start_upstream(None, kind="ws")

    def setUp(self):
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()

    def start(self, flags=(), preexec_fn=None):
        config = os.path.join(self.dir, "proxy.yaml")
        fixtures.render_config(config, self.pki, ["echo.test", "ws.test"], [], ["10.0.0.0/8"])
        resolve = ["echo.test:%d:127.0.0.1" % self.plain.port, "ws.test:%d:127.0.0.1" % self.ws.port]
        self.engine = self.start_test_engine(config, fixtures.engine_env(MGMT_KEY), resolve=resolve,
                                             flags=flags, preexec_fn=preexec_fn)

    def hold(self, n, source):
        """n idle connections from `source` to the tunnel listener."""
        for _ in range(n):
            s = socket.socket()
            s.bind((source, 0))
            s.settimeout(10)
            s.connect(self.engine.addr["tunnel"])
            self.socks.append(s)

    def answered(self, socks, want, timeout=10.0):
        """The sockets of `socks` that received something within `timeout`
        (stops early once `want` have), with what each received."""
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        got = {}
        deadline = time.time() + timeout
        while len(got) < want and time.time() < deadline:
            for key, _ in sel.select(0.2):
                s = key.fileobj
                sel.unregister(s)
                try:
                    got[s] = fixtures.read_until(s, None)
                except OSError as e:  # a reset: the refusal's close overtook it
                    got[s] = repr(e).encode()
        sel.close()
        return got

    def request(self, source, path):
        """A plain-HTTP GET through the forward listener from `source`."""
        with socket.socket() as s:
            s.bind((source, 0))
            s.settimeout(10)
            s.connect(self.engine.addr["http"])
            s.sendall(b"GET http://echo.test:%d%s HTTP/1.1\r\nHost: echo.test\r\n"
                      b"Connection: close\r\n\r\n" % (self.plain.port, path.encode()))
            return fixtures.read_until(s, None).decode("latin-1")

    def test_one_address_holding_1100_connections_does_not_starve_another(self):
        self.start(preexec_fn=nofile(1024, 4096))
        self.assertIn("open-file limit raised from 1024 to the hard limit 4096", self.engine.stderr())
        self.assertIn("capped at 256 per client address and 1984 in total", self.engine.stderr())
        self.hold(HOLD, "127.0.0.2")
        refused = self.answered(self.socks, HOLD - 256)
        self.assertEqual(len(refused), HOLD - 256)
        for data in refused.values():
            if data.startswith(b"HTTP/"):
                self.assertTrue(data.startswith(b"HTTP/1.1 503 "), data)
                self.assertIn(b"too many connections (256 per client address, from 127.0.0.2)", data)
        self.assertGreater(sum(d.startswith(b"HTTP/1.1 503 ") for d in refused.values()), HOLD // 2)
        # The 256 admitted ones are open and idle: no answer, no close.
        held = [s for s in self.socks if s not in refused]
        self.assertEqual(len(held), 256)
        self.assertEqual(self.answered(held, 1, timeout=0.5), {})
        self.plain.recorder.clear()
        answer = self.request("127.0.0.3", "/second-client")
        self.assertTrue(answer.startswith("HTTP/1.1 200 "), answer[:200])
        self.assertEqual(self.plain.recorder.last()["path"], "/second-client")
        refused_total = 'sandbox_egress_connections_refused_total{limit="per_client"}'
        self.assertEqual(fixtures.metric(self.engine, refused_total), HOLD - 256)
        cap = 'sandbox_egress_connection_limit{limit="per_client"}'
        self.assertEqual(fixtures.metric(self.engine, cap), 256)

    def test_out_of_file_descriptors_the_listener_backs_off_and_keeps_accepting(self):
        # The hard limit is 1024 too (nothing to raise) and the caps are set
        # above it: accept() runs out of descriptors.
        self.start(flags=["--max-client-connections", "5000", "--max-connections", "5000"],
                   preexec_fn=nofile(1024, 1024))
        self.assertIn("open-file limit 1024 (the hard limit)", self.engine.stderr())
        self.hold(HOLD, "127.0.0.2")
        self.assertTrue(fixtures.wait_for(lambda: "Too many open files" in self.engine.stderr(), 10))
        # Backing off, not spinning: little CPU while the backlog waits.
        before = cpu_seconds(self.engine.proc.pid)
        time.sleep(1.0)
        self.assertLess(cpu_seconds(self.engine.proc.pid) - before, 0.3)
        self.assertEqual(self.engine.stderr().count("accepting a connection failed"), 1)
        for s in self.socks[:300]:
            s.close()
        del self.socks[:300]
        deadline = time.time() + 15
        answer = ""
        while time.time() < deadline and not answer.startswith("HTTP/1.1 200 "):
            try:
                answer = self.request("127.0.0.3", "/after-emfile")
            except OSError:
                time.sleep(0.2)
        self.assertTrue(answer.startswith("HTTP/1.1 200 "), answer[:200])
        self.assertIsNone(self.engine.proc.poll())
        self.assertGreater(fixtures.metric(self.engine, "sandbox_egress_accept_errors_total"), 0)

    def test_idle_client_connection_closed_after_the_idle_timeout(self):
        self.start(flags=["--client-idle", "1s"])
        # Idle from the start, and idle after a keep-alive request.
        for send in (b"", b"GET http://echo.test:%d/ka HTTP/1.1\r\nHost: echo.test\r\n\r\n"
                     % self.plain.port):
            with socket.create_connection(self.engine.addr["http"], timeout=10) as s:
                start = time.time()
                s.sendall(send)
                if send:
                    fixtures.read_until(s, b'"/ka"')
                    start = time.time()
                rest = fixtures.read_until(s, None)  # returns when the engine closes
                elapsed = time.time() - start
                self.assertNotIn(b"HTTP/", rest)
                self.assertGreater(elapsed, 0.7)
                self.assertLess(elapsed, 5)

    def test_idle_websocket_closed_after_its_timeout_active_one_kept(self):
        # 3 s against traffic every 0.3 s: a loaded 2-core CI machine can
        # stall a process for over a second, which a 1 s timeout mistook for
        # silence.
        self.start(flags=["--websocket-idle", "3s"])
        with socket.create_connection(self.engine.addr["http"], timeout=10) as s:
            s.sendall(b"GET http://ws.test:%d/chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      b"Sec-WebSocket-Version: 13\r\n\r\n" % self.ws.port)
            head = fixtures.read_head(s)
            self.assertTrue(head.startswith(b"HTTP/1.1 101 "), head)
            reader = fixtures.WsReader(s, head.partition(b"\r\n\r\n")[2])
            reader.message()  # the greeting
            # Traffic every 0.3 s for 4.5 s (longer than the timeout) keeps it open...
            for i in range(15):
                s.sendall(fixtures.ws_frame(1, b"m%d" % i, mask=True))
                self.assertEqual(reader.message(), (1, b"m%d" % i))
                time.sleep(0.3)
            # ...then silence ends it.
            start = time.time()
            s.settimeout(15)
            with self.assertRaises(EOFError):
                reader.frame()
            self.assertLess(time.time() - start, 10)


if __name__ == "__main__":
    harness.main()
