"""Echoes the scrubber must catch in the forms the engine itself produces:
the base64 of a Basic payload it re-encoded after the swap, and a real value
an upstream splits across two WebSocket messages (a ping between them).
Real engine, real TLS upstreams on loopback, raw bytes on both sides."""
import base64
import os
import signal
import socket
import socketserver
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import fixtures  # noqa: E402
from engine_case import EngineCase  # noqa: E402

# First bytes 's' and 'o' share their top two bits: "user:" puts the value
# at an offset where that is all the exact read-back needs.
REAL = "sk-real-scrub-forms-5e4d3c2b1a09"
TOKEN = "openai-" + "5a" * 16
MGMT_KEY = "mgmt-scrub-forms-0f1e2d3c4b5a"
RULES = [{"env": "OPENAI_API_KEY", "token": TOKEN, "headers": ["Authorization"],
          "hosts": ["api.openai.com"]}]


def no_run_of(secret, data, n=3):
    """True when no `n` consecutive bytes of `secret` appear in `data`."""
    return all(secret[i:i + n].encode() not in data for i in range(len(secret) - n + 1))


class _SplitEcho(socketserver.BaseRequestHandler):
    """After the upgrade, answers each "split" message with the credential it
    received split across two text messages, a ping between them."""

    def handle(self):
        sock = self.request
        try:
            data = fixtures.read_head(sock)
            head, _, rest = data.partition(b"\r\n\r\n")
            headers = {}
            for line in head.decode("latin-1").split("\r\n")[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            self.server.recorder.add({"headers": headers})
            cred = headers.get("authorization", "").split(" ", 1)[-1].encode()
            sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                          % fixtures.ws_accept(headers.get("sec-websocket-key", ""))).encode())
            reader = fixtures.WsReader(sock, rest)
            while True:
                _, op, payload, _ = reader.frame()
                if op == 8:
                    sock.sendall(fixtures.ws_frame(8, payload))
                    return
                if payload == b"split":
                    sock.sendall(fixtures.ws_frame(1, b"A " + cred[:8]) + fixtures.ws_frame(9, b"p") +
                                 fixtures.ws_frame(1, cred[8:] + b" Z"))
        except (OSError, ValueError, EOFError):
            return


class ScrubFormsTest(EngineCase):
    dir_prefix = "sr-proxy-forms-"
    stop_signal = signal.SIGKILL

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.upstream = cls.start_upstream(cls.pki)
        cls.ws = cls.start_upstream(cls.pki, handler=_SplitEcho)
        config = os.path.join(cls.dir, "proxy.yaml")
        fixtures.render_config(config, cls.pki, ["api.openai.com"], RULES, ["10.0.0.0/8"])
        resolve = fixtures.resolve_all(["api.openai.com"], (cls.upstream.port, cls.ws.port))
        cls.start_class_engine(config, fixtures.engine_env(MGMT_KEY, cls.pki, OPENAI_API_KEY=REAL),
                               resolve=resolve)

    def test_basic_auth_echo_reads_back_as_the_token(self):
        sent = fixtures.basic("user", TOKEN)
        scrubs = 'sandbox_egress_secret_scrubs_total{secret="OPENAI_API_KEY"}'
        before = fixtures.metric(self.engine, scrubs)
        r = subprocess.run(["curl", "-sS", "-i", "-x", self.engine.url("tunnel"), "--cacert",
                            self.pki["engine_ca"], "--max-time", "20", "-H", "Authorization: " + sent,
                            "https://api.openai.com:%d/echo-secret" % self.upstream.port],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        # The upstream got the real value, base64-encoded by the engine...
        got = self.upstream.recorder.last()["headers"]["authorization"]
        self.assertEqual(got, fixtures.basic("user", REAL))
        # ...and its echo, in a header and in the body, reads back as what
        # the sandbox sent; no byte run of the real value's base64 is left.
        self.assertIn(b"\r\nX-Echo: " + sent.encode() + b"\r\n", r.stdout)
        self.assertIn(("your key is %s and again %s" % (sent, sent)).encode(), r.stdout)
        real_b64 = base64.b64encode(("user:" + REAL).encode())
        self.assertTrue(no_run_of(real_b64[8:-4].decode(), r.stdout, 6), r.stdout)
        self.assertNotIn(REAL.encode(), r.stdout)
        self.assertEqual(fixtures.metric(self.engine, scrubs), before + 3)

    def test_secret_split_across_two_websocket_messages(self):
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        raw = socket.create_connection(self.engine.addr["tunnel"], timeout=10)
        authority = b"api.openai.com:%d" % self.ws.port
        raw.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (authority, authority))
        self.assertTrue(fixtures.read_head(raw).startswith(b"HTTP/1.1 200"))
        tls = ctx.wrap_socket(raw, server_hostname="api.openai.com")
        received = b""
        try:
            tls.sendall(b"GET /split HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        b"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n"
                        % (authority, TOKEN.encode()))
            head = fixtures.read_head(tls)
            self.assertTrue(head.startswith(b"HTTP/1.1 101 "), head)
            self.assertNotIn(REAL[:8].encode(), head)
            reader = fixtures.WsReader(tls, head.partition(b"\r\n\r\n")[2])
            tls.sendall(fixtures.ws_frame(1, b"split", mask=True))
            first, second = reader.message(), reader.message()
            received += first[1] + second[1]
            tls.sendall(fixtures.ws_frame(8, b"\x03\xe8", mask=True))
            received += reader.buf
        finally:
            tls.close()
        # What the upstream received: the real value, swapped in by the engine.
        self.assertEqual(self.ws.recorder.last()["headers"]["authorization"], "Bearer " + REAL)
        # What the sandbox received: the token where the value started, and
        # not one byte run of the value.
        self.assertEqual(first, (1, b"A " + TOKEN.encode()))
        self.assertEqual(second, (1, b" Z"))
        self.assertEqual(reader.controls, [(9, b"p")])
        self.assertTrue(no_run_of(REAL, received), received)


if __name__ == "__main__":
    harness.main()
