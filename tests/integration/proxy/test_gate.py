"""The request gate through the real `sandbox-egress serve`: raw request bytes
from the client, and the raw bytes the upstream received (RawHandler) for
every canonical-form rule of docs/security-model.md ("Canonical requests"):
one authority, one framing, no cleartext for real keys, verified upstream
certificates."""
import os
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import fixtures  # noqa: E402
from engine_case import EngineCase  # noqa: E402

REAL = "sk-real-openai-gate-5f1e0c2a9b8d"
TOKEN = "openai-" + "a1b2c3d4e5f60718" * 2
BODY_REAL = "body-real-gate-77665544"
BODY_TOKEN = "bodytest-" + "0f1e2d3c4b5a69780f1e2d3c4b5a6978"
ALLOW = ["api.openai.com", "echo.test", "body.test", "wrongname.test"]
SECRET_RULES = [
    {"env": "OPENAI_API_KEY", "token": TOKEN, "headers": ["Authorization"],
     "hosts": ["api.openai.com", "wrongname.test"]},
    {"env": "BODY_TEST_KEY", "token": BODY_TOKEN, "headers": ["Authorization"], "body": True,
     "hosts": ["body.test"]},
]


def wrong_name_cert(d):
    """A server certificate from the upstream CA that names other.test only."""
    with open(os.path.join(d, "wrong.ext"), "w") as f:
        f.write("subjectAltName=DNS:other.test\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    fixtures.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", "wrong.key", "-out", "wrong.csr", "-subj", "/CN=other.test", cwd=d)
    fixtures.openssl("x509", "-req", "-in", "wrong.csr", "-CA", "upstream-ca.crt", "-CAkey",
                     "upstream-ca.key", "-CAcreateserial", "-out", "wrong.crt", "-days", "2",
                     "-extfile", "wrong.ext", cwd=d)
    return os.path.join(d, "wrong.crt"), os.path.join(d, "wrong.key")


class GateTest(EngineCase):
    dir_prefix = "sr-gate-test-"
    never_logged = (REAL, TOKEN, BODY_REAL, BODY_TOKEN)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tls_up = cls.start_upstream(cls.pki, handler=fixtures.RawHandler)
        cls.plain_up = cls.start_upstream(None, handler=fixtures.RawHandler)
        crt, key = wrong_name_cert(cls.dir)
        cls.wrong_up = cls.start_upstream(
            dict(cls.pki, upstream_cert=crt, upstream_key=key), handler=fixtures.RawHandler)
        cls.config = os.path.join(cls.dir, "proxy.yaml")
        fixtures.render_config(cls.config, cls.pki, ALLOW, SECRET_RULES, [], timeout="3s")
        ports = (cls.tls_up.port, cls.plain_up.port, cls.wrong_up.port)
        env = fixtures.engine_env("mgmt-gate-0123456789", cls.pki, OPENAI_API_KEY=REAL,
                                  BODY_TEST_KEY=BODY_REAL)
        cls.start_class_engine(cls.config, env, resolve=fixtures.resolve_all(ALLOW, ports))

    def setUp(self):
        for s in (self.tls_up, self.plain_up, self.wrong_up):
            s.recorder.clear()

    # --- clients ---------------------------------------------------------
    def exchange(self, sock, raw):
        """Sends raw bytes; returns (status, whole answer) once the answer's
        head and Content-Length body arrived, or the connection closed."""
        sock.sendall(raw)
        status, head, rest = fixtures.read_response(sock)
        return status, head + b"\r\n\r\n" + rest

    def forward(self, raw):
        with socket.create_connection(self.engine.addr["http"], timeout=10) as s:
            return self.exchange(s, raw)

    def connect(self, host, port):
        s = socket.create_connection(self.engine.addr["tunnel"], timeout=10)
        s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port, host, port))
        head = fixtures.read_head(s)
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        return s

    def tls_tunnel(self, raw, host=b"api.openai.com", port=None):
        s = self.connect(host, port or self.tls_up.port)
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        with ctx.wrap_socket(s, server_hostname=host.decode()) as t:
            return self.exchange(t, raw)

    def plain_tunnel(self, raw, host=b"api.openai.com"):
        with self.connect(host, self.plain_up.port) as s:
            return self.exchange(s, raw)

    def received(self, server, n=1):
        self.assertTrue(fixtures.wait_for(lambda: len(server.recorder.requests) >= n),
                        "the upstream received %d request(s)" % len(server.recorder.requests))
        return [r["raw"] for r in server.recorder.requests]

    def nothing_received(self):
        time.sleep(0.2)
        for s in (self.tls_up, self.plain_up, self.wrong_up):
            self.assertEqual(s.recorder.requests, [])

    def head_lines(self, raw):
        return raw.split(b"\r\n\r\n")[0].split(b"\r\n")

    # --- one authority ---------------------------------------------------
    def test_absolute_form_with_another_authority_in_a_tunnel_is_refused(self):
        for target in (b"https://echo.test/v1", b"http://echo.test/v1", b"ws://echo.test/",
                       b"gopher://echo.test:1/x", b"https://api.openai.com:1/v1"):
            with self.subTest(target=target):
                status, answer = self.tls_tunnel(
                    b"GET %s HTTP/1.1\r\nHost: api.openai.com\r\nAuthorization: Bearer %s\r\n"
                    b"Connection: close\r\n\r\n" % (target, TOKEN.encode()))
                self.assertEqual(status, 403, answer)
                self.assertIn(b"another authority", answer)
                self.nothing_received()

    def test_absolute_form_with_the_tunnels_authority_becomes_origin_form(self):
        port = self.tls_up.port
        for scheme in (b"https", b"wss", b"http"):
            with self.subTest(scheme=scheme):
                self.tls_up.recorder.clear()
                status, _ = self.tls_tunnel(
                    b"GET %s://API.openai.com:%d/v1/x?y=1 HTTP/1.1\r\nHost: api.openai.com:%d\r\n"
                    b"Authorization: Bearer %s\r\nConnection: close\r\n\r\n"
                    % (scheme, port, port, TOKEN.encode()))
                self.assertEqual(status, 200)
                lines = self.head_lines(self.received(self.tls_up)[0])
                self.assertEqual(lines[0], b"GET /v1/x?y=1 HTTP/1.1")
                self.assertEqual(lines[1], b"Host: api.openai.com:%d" % port)
                self.assertIn(b"Authorization: Bearer " + REAL.encode(), lines)

    def test_forward_listener_takes_only_http_absolute_form(self):
        for target in (b"https://echo.test/", b"ftp://echo.test/",
                       b"http://user@echo.test:%d/" % self.plain_up.port):
            with self.subTest(target=target):
                status, _ = self.forward(b"GET %s HTTP/1.1\r\nHost: echo.test\r\n\r\n" % target)
                self.assertEqual(status, 400)
                self.nothing_received()

    def test_forward_listener_origin_form_takes_its_one_host_field(self):
        # What a port-80 connection the host's interception redirected looks
        # like: origin-form, the authority in Host.
        port = self.plain_up.port
        status, _ = self.forward(b"GET /v1?a=1 HTTP/1.1\r\nHost: ECHO.test:%d\r\nConnection: close\r\n\r\n" % port)
        self.assertEqual(status, 200)
        lines = self.head_lines(self.received(self.plain_up)[0])
        self.assertEqual(lines[0], b"GET /v1?a=1 HTTP/1.1")
        self.assertEqual(lines[1], b"Host: echo.test:%d" % port)
        self.plain_up.recorder.clear()
        for head in (b"GET /v1 HTTP/1.1\r\n\r\n",
                     b"GET /v1 HTTP/1.1\r\nHost: echo.test:%d\r\nHost: echo.test:%d\r\n\r\n" % (port, port),
                     b"GET /v1 HTTP/1.1\r\nHost: echo.test/x\r\n\r\n"):
            with self.subTest(head=head):
                status, _ = self.forward(head)
                self.assertEqual(status, 400)
                self.nothing_received()

    def test_duplicate_host_is_refused(self):
        status, _ = self.tls_tunnel(b"GET / HTTP/1.1\r\nHost: api.openai.com\r\nHost: echo.test\r\n"
                                    b"Authorization: Bearer %s\r\n\r\n" % TOKEN.encode())
        self.assertEqual(status, 400)
        status, _ = self.forward(b"GET http://echo.test:%d/ HTTP/1.1\r\nHost: echo.test\r\n"
                                 b"Host: echo.test\r\n\r\n" % self.plain_up.port)
        self.assertEqual(status, 400)
        self.nothing_received()

    def test_host_naming_another_host_is_refused(self):
        status, answer = self.tls_tunnel(b"GET / HTTP/1.1\r\nHost: echo.test\r\n"
                                         b"Authorization: Bearer %s\r\n\r\n" % TOKEN.encode())
        self.assertEqual(status, 403, answer)
        status, _ = self.forward(b"GET http://echo.test:%d/ HTTP/1.1\r\nHost: api.openai.com\r\n\r\n"
                                 % self.plain_up.port)
        self.assertEqual(status, 403)
        self.nothing_received()

    def test_routing_overrides_are_removed_towards_hosts_with_secrets(self):
        overrides = (b"Forwarded: host=echo.test\r\nX-Forwarded-Host: echo.test\r\n"
                     b"X-Forwarded-For: 10.0.0.1\r\nX-Original-URL: /admin\r\n"
                     b"X-Rewrite-URL: /admin\r\nX-HTTP-Method-Override: DELETE\r\n")
        status, _ = self.tls_tunnel(b"GET /v1 HTTP/1.1\r\nHost: api.openai.com\r\n" + overrides +
                                    b"Authorization: Bearer %s\r\nConnection: close\r\n\r\n"
                                    % TOKEN.encode())
        self.assertEqual(status, 200)
        raw = self.received(self.tls_up)[0]
        for name in (b"forwarded", b"x-forwarded", b"x-original", b"x-rewrite", b"override"):
            self.assertNotIn(name, raw.lower())
        # Towards a host without secrets they pass.
        status, _ = self.forward(b"GET http://echo.test:%d/ HTTP/1.1\r\nHost: echo.test:%d\r\n"
                                 % (self.plain_up.port, self.plain_up.port) + overrides +
                                 b"Connection: close\r\n\r\n")
        self.assertEqual(status, 200)
        self.assertIn(b"X-Forwarded-Host: echo.test", self.received(self.plain_up)[0])

    # --- one framing -----------------------------------------------------
    def refused_framing(self, fields, body=b"", status=(400, 501)):
        port = self.plain_up.port
        raw = (b"POST http://echo.test:%d/ HTTP/1.1\r\nHost: echo.test:%d\r\n" % (port, port) +
               fields + b"\r\n" + body)
        got, answer = self.forward(raw)
        self.assertIn(got, status, answer)
        self.assertIn(b"Connection: close", answer)
        self.nothing_received()

    def test_transfer_encoding_other_than_exactly_chunked(self):
        for te in (b"Transfer-Encoding: gzip, chunked\r\n", b"Transfer-Encoding: chunked, gzip\r\n",
                   b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                   b"Transfer-Encoding: identity\r\n", b"Transfer-Encoding: \r\n",
                   b"Transfer-Encoding: chunked,\r\n"):
            with self.subTest(te=te):
                self.refused_framing(te, b"5\r\nhello\r\n0\r\n\r\n", status=(501,))

    def test_transfer_encoding_with_content_length(self):
        self.refused_framing(b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                             b"5\r\nhello\r\n0\r\n\r\n", status=(400,))

    def test_repeated_or_malformed_content_length(self):
        for cl in (b"Content-Length: 5\r\nContent-Length: 5\r\n", b"Content-Length: 5, 5\r\n",
                   b"Content-Length: +5\r\n", b"Content-Length: 5\r\nContent-Length: 6\r\n"):
            with self.subTest(cl=cl):
                self.refused_framing(cl, b"hello", status=(400,))

    def test_obs_fold_is_refused(self):
        for fold in (b"X-A: b\r\n c\r\n", b"Transfer-Encoding:\r\n chunked\r\n",
                     b"X-A: b\r\n\tHost: evil.test\r\n"):
            with self.subTest(fold=fold):
                self.refused_framing(fold + b"Content-Length: 0\r\n", status=(400,))

    def test_chunked_body_is_rechunked_without_extensions_or_trailers(self):
        port = self.plain_up.port
        status, _ = self.forward(
            b"POST http://echo.test:%d/up HTTP/1.1\r\nHost: echo.test:%d\r\n"
            b"Transfer-Encoding: chunked\r\nTrailer: X-Late\r\nConnection: close\r\n\r\n"
            b"5;ext=1\r\nhello\r\n6;a=\"b\"\r\n world\r\n0;last\r\nX-Late: evil\r\n"
            b"Host: evil.test\r\n\r\n" % (port, port))
        self.assertEqual(status, 200)
        raw = self.received(self.plain_up)[0]
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertIn(b"Transfer-Encoding: chunked", head)
        self.assertNotIn(b"Trailer", head)
        self.assertNotIn(b";", body)
        self.assertNotIn(b"evil", raw)
        self.assertTrue(body.endswith(b"0\r\n\r\n"), body)
        # The engine chooses its own chunk sizes (the token watch may hold
        # back a tail); the payload is what the client sent, nothing else.
        payload, rest = b"", body
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            payload, rest = payload + rest[:size], rest[size + 2:]
        self.assertEqual(payload, b"hello world")
        self.assertEqual(rest, b"\r\n")

    def test_trailers_are_not_merged_into_a_body_swap_head(self):
        # body.test swaps in the body: the engine reads it whole, the parser
        # merges trailers into its head; the head sent is the gate's.
        status, _ = self.tls_tunnel(
            b"POST /b HTTP/1.1\r\nHost: body.test\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n%x\r\n%s\r\n0\r\nX-Late: evil\r\n"
            b"Authorization: Bearer %s\r\n\r\n" % (len(BODY_TOKEN) + 4, b"key=" + BODY_TOKEN.encode(),
                                                   BODY_TOKEN.encode()),
            host=b"body.test")
        self.assertEqual(status, 200)
        raw = self.received(self.tls_up)[0]
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertEqual(body, b"key=" + BODY_REAL.encode())
        self.assertIn(b"Content-Length: %d" % len(body), head)
        self.assertNotIn(b"X-Late", raw)
        self.assertNotIn(b"Authorization", raw)
        self.assertNotIn(b"Transfer-Encoding", head)

    # --- no cleartext ----------------------------------------------------
    def test_a_swap_over_plain_http_is_refused(self):
        status, answer = self.forward(
            b"GET http://api.openai.com:%d/v1 HTTP/1.1\r\nHost: api.openai.com:%d\r\n"
            b"Authorization: Bearer %s\r\n\r\n" % (self.plain_up.port, self.plain_up.port,
                                                   TOKEN.encode()))
        self.assertEqual(status, 403)
        self.assertIn(b"use https", answer)
        status, answer = self.plain_tunnel(
            b"GET /v1 HTTP/1.1\r\nHost: api.openai.com\r\nAuthorization: Bearer %s\r\n\r\n"
            % TOKEN.encode())
        self.assertEqual(status, 403)
        self.assertIn(b"use https", answer)
        self.assertNotIn(REAL.encode(), answer)
        self.assertNotIn(TOKEN.encode(), answer)
        self.nothing_received()

    def test_a_body_swap_over_plain_http_is_refused(self):
        with self.connect(b"body.test", self.plain_up.port) as s:
            status, answer = self.exchange(
                s, b"POST / HTTP/1.1\r\nHost: body.test\r\nContent-Length: %d\r\n\r\n%s"
                % (len(BODY_TOKEN), BODY_TOKEN.encode()))
        self.assertEqual(status, 403)
        self.assertIn(b"use https", answer)
        self.nothing_received()

    def test_plain_http_without_tokens_still_works(self):
        port = self.plain_up.port
        status, _ = self.forward(b"GET http://api.openai.com:%d/free HTTP/1.1\r\n"
                                 b"Host: api.openai.com:%d\r\nConnection: close\r\n\r\n" % (port, port))
        self.assertEqual(status, 200)
        lines = self.head_lines(self.received(self.plain_up)[0])
        self.assertEqual(lines[0], b"GET /free HTTP/1.1")
        self.assertEqual(lines[1], b"Host: api.openai.com:%d" % port)
        self.plain_up.recorder.clear()
        status, _ = self.plain_tunnel(b"GET /t HTTP/1.1\r\nHost: api.openai.com\r\n"
                                      b"Connection: close\r\n\r\n")
        self.assertEqual(status, 200)
        self.assertEqual(self.head_lines(self.received(self.plain_up)[0])[0], b"GET /t HTTP/1.1")

    def test_upstream_certificate_for_another_name_is_refused(self):
        status, answer = self.tls_tunnel(
            b"GET / HTTP/1.1\r\nHost: wrongname.test\r\nAuthorization: Bearer %s\r\n"
            b"Connection: close\r\n\r\n" % TOKEN.encode(),
            host=b"wrongname.test", port=self.wrong_up.port)
        self.assertEqual(status, 502, answer)
        self.nothing_received()


if __name__ == "__main__":
    unittest.main(verbosity=2)
