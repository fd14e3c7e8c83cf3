"""`sandbox-egress serve`: credential swap, refusals, scrubbing, streaming,
reload, through a real engine, a real HTTPS upstream and real clients."""
import base64
import gzip
import http.client
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import fixtures  # noqa: E402
from engine_case import EngineCase  # noqa: E402

OPENAI_REAL = "sk-real-openai-5f1e0c2a9b8d7e6f"
ANTHROPIC_REAL = "sk-ant-real-0a1b2c3d4e5f6a7b"
GEMINI_REAL = "AIzaReal-gemini-99887766554433"
BODY_REAL = "body-real-value-77665544"
MGMT_KEY = "mgmt-key-3c2b1a0f9e8d7c6b5a49"
OPENAI_TOKEN = "openai-" + "0123456789abcdef" * 2
ANTHROPIC_TOKEN = "anthropic-" + "fedcba9876543210" * 2
GEMINI_TOKEN = "gemini-" + "00112233445566778899aabbccddeeff"
BODY_TOKEN = "bodytest-" + "abcdefabcdefabcdefabcdefabcdefab"
SECRETS = [OPENAI_REAL, ANTHROPIC_REAL, GEMINI_REAL, BODY_REAL]
TOKENS = [OPENAI_TOKEN, ANTHROPIC_TOKEN, GEMINI_TOKEN, BODY_TOKEN]
ALLOW = ["api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
         "echo.test", "body.test", "stale.test", "127.0.0.1"]
# Loopback is deliberately absent from the deny list here (the upstream is on
# loopback); DenyCidrTest puts it back and proves the refusal.
DENY = ["10.0.0.0/8", "169.254.0.0/16", "fe80::/10"]
SECRET_RULES = [
    {"env": "OPENAI_API_KEY", "token": OPENAI_TOKEN, "headers": ["Authorization"],
     "hosts": ["api.openai.com"]},
    {"env": "ANTHROPIC_API_KEY", "token": ANTHROPIC_TOKEN,
     "headers": ["x-api-key", "Authorization"], "hosts": ["api.anthropic.com"]},
    {"env": "GEMINI_API_KEY", "token": GEMINI_TOKEN, "headers": ["x-goog-api-key"],
     "query": True, "hosts": ["generativelanguage.googleapis.com"]},
    {"env": "BODY_TEST_KEY", "token": BODY_TOKEN, "headers": ["Authorization"], "body": True,
     "hosts": ["body.test"]},
]


def engine_env(pki):
    return fixtures.engine_env(MGMT_KEY, pki, OPENAI_API_KEY=OPENAI_REAL, ANTHROPIC_API_KEY=ANTHROPIC_REAL,
                               GEMINI_API_KEY=GEMINI_REAL, BODY_TEST_KEY=BODY_REAL)


fixtures_wait = fixtures.wait_for


class ServeTest(EngineCase):
    dir_prefix = "sr-proxy-test-"
    never_logged = SECRETS + TOKENS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.upstream = cls.start_upstream(cls.pki)
        cls.up_port = cls.upstream.server_address[1]
        cls.plain = cls.start_upstream(None)
        cls.plain_port = cls.plain.server_address[1]
        cls.stale = cls.start_upstream(cls.pki, kind="stale")
        cls.stale_port = cls.stale.server_address[1]
        cls.ws = cls.start_upstream(cls.pki, kind="ws")
        cls.ws_port = cls.ws.server_address[1]
        cls.ws_plain = cls.start_upstream(None, kind="ws")
        cls.ws_plain_port = cls.ws_plain.server_address[1]
        cls.config = os.path.join(cls.dir, "proxy.yaml")
        cls.audit = os.path.join(cls.dir, "audit.log")
        fixtures.render_config(cls.config, cls.pki, ALLOW, SECRET_RULES, DENY, timeout="3s")
        ports = (cls.up_port, cls.plain_port, cls.stale_port, cls.ws_port, cls.ws_plain_port)
        cls.start_class_engine(cls.config, engine_env(cls.pki), audit_log=cls.audit,
                               resolve=fixtures.resolve_all(fixtures.PROVIDER_HOSTS, ports))

    @classmethod
    def engine_outputs(cls):
        # test_z_health_metrics_and_audit keeps the /metrics text it read.
        return dict(super().engine_outputs(), metrics=getattr(cls, "metrics_text", ""))

    # --- clients ---------------------------------------------------------
    def curl(self, url, *args, proxy="tunnel", input_text=None):
        r = subprocess.run(["curl", "-sS", "-x", self.engine.url(proxy), "--cacert",
                            self.pki["engine_ca"], "-o", "-", "-w", "\n%{http_code}",
                            "--max-time", "20", *args, url],
                           capture_output=True, text=True, timeout=30, input=input_text)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body, r.stderr

    def https(self, host, path, headers=None, method="GET", body=None):
        """Python http.client through CONNECT on the tunnel listener."""
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        phost, pport = self.engine.addr["tunnel"]
        conn = http.client.HTTPSConnection(phost, pport, context=ctx, timeout=20)
        conn.set_tunnel(host, self.up_port)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp, data

    def metric(self, series):
        """The value of one /metrics series (0 when absent)."""
        with urllib.request.urlopen(self.engine.url("metrics") + "/metrics", timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(series + " "):
                    return float(line.split()[-1])
        return 0.0

    def url(self, host, path):
        return "https://%s:%d%s" % (host, self.up_port, path)

    def last(self):
        return self.upstream.recorder.last()

    # --- swaps -----------------------------------------------------------
    def test_bearer_swap_curl(self):
        code, body, err = self.curl(self.url("api.openai.com", "/v1/models"),
                                    "-H", "Authorization: Bearer " + OPENAI_TOKEN)
        self.assertEqual(code, 200, err + body)
        self.assertEqual(self.last()["headers"]["authorization"], "Bearer " + OPENAI_REAL)

    def test_x_api_key_swap_python_client(self):
        resp, data = self.https("api.anthropic.com", "/v1/messages",
                                {"x-api-key": ANTHROPIC_TOKEN, "content-type": "application/json"},
                                "POST", b'{"model":"x"}')
        self.assertEqual(resp.status, 200, data)
        # The upstream's echo of the real value is scrubbed on the way back,
        # so what the upstream received is read from its recorder.
        rec = self.upstream.recorder.last()
        self.assertEqual(rec["headers"]["x-api-key"], ANTHROPIC_REAL)
        self.assertEqual(rec["body"], '{"model":"x"}')

    def test_basic_auth_swap(self):
        code, body, err = self.curl(self.url("api.openai.com", "/basic"),
                                    "-H", "Authorization: " + fixtures.basic("user", OPENAI_TOKEN))
        self.assertEqual(code, 200, err + body)
        got = self.upstream.recorder.last()["headers"]["authorization"]
        self.assertEqual(base64.b64decode(got.split()[1]).decode(), "user:" + OPENAI_REAL)
        # The JSON echo of that header is scrubbed back to what was sent.
        echoed = json.loads(body)["headers"]["authorization"]
        self.assertEqual(echoed, fixtures.basic("user", OPENAI_TOKEN))

    def test_query_swap(self):
        code, body, err = self.curl(
            self.url("generativelanguage.googleapis.com", "/v1/models?key=" + GEMINI_TOKEN + "&a=1"))
        self.assertEqual(code, 200, err + body)
        self.assertEqual(self.last()["path"], "/v1/models?key=" + GEMINI_REAL + "&a=1")
        self.assertIn(GEMINI_TOKEN, json.loads(body)["path"])  # echo scrubbed back

    def test_body_swap_fixes_content_length(self):
        payload = '{"key":"%s","n":1}' % BODY_TOKEN
        code, body, err = self.curl(self.url("body.test", "/b"), "-X", "POST",
                                    "--data-binary", payload)
        self.assertEqual(code, 200, err + body)
        rec = self.last()
        self.assertEqual(rec["body"], payload.replace(BODY_TOKEN, BODY_REAL))
        self.assertEqual(int(rec["headers"]["content-length"]), len(rec["body"]))

    def test_no_swap_towards_non_matching_host(self):
        code, body, err = self.curl(self.url("echo.test", "/plain"),
                                    "-H", "Authorization: Bearer not-a-token")
        self.assertEqual(code, 200, err + body)
        self.assertEqual(json.loads(body)["headers"]["authorization"], "Bearer not-a-token")

    # --- refusals --------------------------------------------------------
    def test_token_to_wrong_host_refused(self):
        self.upstream.recorder.clear()
        code, body, err = self.curl(self.url("echo.test", "/steal"),
                                    "-H", "Authorization: Bearer " + OPENAI_TOKEN)
        self.assertEqual(code, 403, err + body)
        self.assertIn("OPENAI_API_KEY", body)
        self.assertNotIn(OPENAI_TOKEN, body)
        self.assertIsNone(self.last(), "the request must not reach the upstream")

    def test_token_in_streamed_body_to_wrong_host_refused(self):
        # echo.test has no body swap, so its request bodies are streamed, not
        # buffered: the token is caught on the way, even split across two
        # chunks sent apart, and no byte of it reaches the upstream.
        import socket
        for path, chunked in (("/steal-body-chunked", True), ("/steal-body-length", False)):
            self.plain.recorder.clear()
            before = len(self.audit_lines())
            authority = "echo.test:%d" % self.plain_port
            half = len(OPENAI_TOKEN) // 2
            first = b'{"note":"hello","key":"' + OPENAI_TOKEN[:half].encode()
            second = OPENAI_TOKEN[half:].encode() + b'","pad":"' + b"x" * 3000 + b'"}'
            if chunked:
                head = (b"POST http://%s%s HTTP/1.1\r\nHost: %s\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n" % (authority.encode(), path.encode(),
                                                                  authority.encode()))
                parts = [b"%x\r\n%s\r\n" % (len(first), first),
                         b"%x\r\n%s\r\n0\r\n\r\n" % (len(second), second)]
            else:
                head = (b"POST http://%s%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n"
                        % (authority.encode(), path.encode(), authority.encode(),
                           len(first) + len(second)))
                parts = [first, second]
            s = socket.create_connection(self.engine.addr["http"], timeout=20)
            try:
                s.sendall(head + parts[0])
                time.sleep(0.3)
                s.sendall(parts[1])
                data = fixtures.read_until(s, None)
            finally:
                s.close()
            self.assertTrue(data.startswith(b"HTTP/1.1 403 "), "%s: %r" % (path, data[:300]))
            self.assertIn(b"proxy token for OPENAI_API_KEY sent to host echo.test in the request body",
                          data, path)
            self.assertNotIn(OPENAI_TOKEN.encode(), data)
            self.assertTrue(fixtures_wait(lambda: len(self.audit_lines()) > before), path)
            line = [l for l in self.audit_lines()[before:] if l.get("path", "").endswith(path)]
            self.assertEqual(len(line), 1, line)
            self.assertEqual((line[0]["decision"], line[0]["status"]), ("reject", 403), line)
            time.sleep(0.3)
            for rec in self.plain.recorder.requests:
                self.assertNotIn(OPENAI_TOKEN[:half], rec["body"], path)
        # Inside a TLS tunnel, with curl.
        self.upstream.recorder.clear()
        code, body, err = self.curl(self.url("echo.test", "/steal-body-tls"), "-X", "POST",
                                    "--data-binary", '{"key":"%s"}' % ANTHROPIC_TOKEN)
        self.assertEqual(code, 403, err + body)
        self.assertIn("ANTHROPIC_API_KEY", body)
        self.assertNotIn(ANTHROPIC_TOKEN, body)
        self.assertFalse([r for r in self.upstream.recorder.requests
                          if ANTHROPIC_TOKEN[:12] in r["body"]])

    def test_refusal_reaches_a_client_still_sending_its_body(self):
        # The token is in the first piece of a ~530 KB body the client sends
        # piece by piece; the engine refuses after the first one, while the
        # client is still sending. The client must get to read the 403:
        # the engine closes only its side (close_notify + FIN) and drains
        # the rest. Closed with unread bytes, the engine's socket would send
        # a reset and the client's next send would fail (broken pipe /
        # reset) before it ever read the answer.
        import http.client
        first = b'{"key":"' + ANTHROPIC_TOKEN.encode() + b'","pad":"'

        def pieces():
            yield first
            for _ in range(8):
                time.sleep(0.05)
                yield b"p" * 65536
            yield b'"}'

        length = len(first) + 8 * 65536 + 2
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        tls = http.client.HTTPSConnection(*self.engine.addr["tunnel"], context=ctx, timeout=20)
        tls.set_tunnel("echo.test", self.up_port)
        plain = http.client.HTTPConnection(*self.engine.addr["http"], timeout=20)
        for conn, target in ((tls, "/steal-big-body"),
                             (plain, "http://echo.test:%d/steal-big-body-plain" % self.plain_port)):
            try:
                conn.request("POST", target, body=pieces(),
                             headers={"Content-Length": str(length)})
                resp = conn.getresponse()
                data = resp.read()
            finally:
                conn.close()
            self.assertEqual(resp.status, 403, (target, data[:300]))
            self.assertIn(b"proxy token for ANTHROPIC_API_KEY sent to host echo.test in the request "
                          b"body", data, target)

    def test_streamed_body_passes_unchanged(self):
        # Near-misses of a token across many reads, and the destination's
        # own token (OpenAI has no body swap: it goes as it is), stream
        # through byte for byte.
        payload = ("openai-0123456789abcdef" * 5000) + OPENAI_TOKEN + ("tail" * 1000)
        self.upstream.recorder.clear()
        code, body, err = self.curl(self.url("api.openai.com", "/stream-body"), "-X", "POST",
                                    "-H", "Authorization: Bearer " + OPENAI_TOKEN,
                                    "--data-binary", "@-", input_text=payload)
        self.assertEqual(code, 200, err + body[:300])
        self.assertEqual(self.last()["body"], payload)

    def test_non_allowlisted_host_403(self):
        r = subprocess.run(["curl", "-sS", "-x", self.engine.url("tunnel"), "--cacert",
                            self.pki["engine_ca"], "-o", "/dev/null", "-w", "%{http_connect}",
                            self.url("blocked.test", "/")], capture_output=True, text=True)
        self.assertEqual(r.stdout.strip(), "403", r.stderr)
        # The body names the host (seen with a raw CONNECT).
        import socket
        s = socket.create_connection(self.engine.addr["tunnel"], timeout=10)
        s.sendall(b"CONNECT blocked.test:443 HTTP/1.1\r\nHost: blocked.test:443\r\n\r\n")
        data = fixtures.read_until(s, b"allowlist")
        s.close()
        self.assertIn(b" 403 ", data.split(b"\r\n")[0])
        self.assertIn(b"blocked.test is not on the allowlist", data)

    def test_plain_http_forward_and_refusal(self):
        url = "http://api.openai.com:%d/fwd" % self.plain_port
        # A real key never travels over plain HTTP: the swap is refused, and
        # the token is not forwarded either (test_gate.py has the raw bytes).
        self.plain.recorder.clear()
        code, body, err = self.curl(url, "-H", "Authorization: Bearer " + OPENAI_TOKEN,
                                    proxy="http")
        self.assertEqual(code, 403, err + body)
        self.assertIn("use https", body)
        self.assertIsNone(self.plain.recorder.last())
        code, body, err = self.curl(url, "-H", "X-Plain: 1", proxy="http")
        self.assertEqual(code, 200, err + body)
        rec = self.plain.recorder.last()
        self.assertEqual(rec["path"], "/fwd")
        self.assertEqual(rec["headers"]["x-plain"], "1")
        self.assertNotIn("proxy-connection", rec["headers"])
        code, body, _ = self.curl("http://blocked.test:%d/" % self.plain_port, proxy="http")
        self.assertEqual(code, 403)
        self.assertIn("not on the allowlist", body)

    def test_connect_on_http_listener_and_plain_inside_tunnel(self):
        code, body, err = self.curl(self.url("api.openai.com", "/via-http-listener"),
                                    "-H", "Authorization: Bearer " + OPENAI_TOKEN, proxy="http")
        self.assertEqual(code, 200, err + body)
        self.assertEqual(self.last()["headers"]["authorization"], "Bearer " + OPENAI_REAL)
        # Plain HTTP inside a CONNECT tunnel (curl --proxytunnel with http://):
        # served, but a swap there would put the real key in cleartext: 403.
        code, body, err = self.curl("http://api.openai.com:%d/plain-tunnel" % self.plain_port,
                                    "-p", "-H", "X-Plain: 1")
        self.assertEqual(code, 200, err + body)
        self.assertEqual(self.plain.recorder.last()["path"], "/plain-tunnel")
        code, body, err = self.curl("http://api.openai.com:%d/plain-tunnel-key" % self.plain_port,
                                    "-p", "-H", "Authorization: Bearer " + OPENAI_TOKEN)
        self.assertEqual(code, 403, err + body)
        self.assertIn("use https", body)
        self.assertEqual(self.plain.recorder.last()["path"], "/plain-tunnel")

    def test_host_header_must_name_the_destination(self):
        # Inside a tunnel another Host (domain fronting) is refused ...
        self.upstream.recorder.clear()
        code, body, err = self.curl(self.url("api.openai.com", "/front"), "-H", "Host: evil.test",
                                    "-H", "Authorization: Bearer " + OPENAI_TOKEN)
        self.assertEqual(code, 403, err + body)
        self.assertIn("Host header", body)
        self.assertIsNone(self.last(), "the request must not reach the upstream")
        # ... the same name with another port or case is not another host ...
        code, body, err = self.curl(self.url("api.openai.com", "/front"),
                                    "-H", "Host: API.OpenAI.com.:1")
        self.assertEqual(code, 200, err + body)
        # ... and an absolute-form request naming another Host is refused too:
        # a request names one authority (docs/security-model.md).
        self.plain.recorder.clear()
        code, body, err = self.curl("http://echo.test:%d/abs" % self.plain_port,
                                    "-H", "Host: evil.test", proxy="http")
        self.assertEqual(code, 403, err + body)
        self.assertIsNone(self.plain.recorder.last())
        code, body, err = self.curl("http://echo.test:%d/abs" % self.plain_port, proxy="http")
        self.assertEqual(code, 200, err + body)
        self.assertEqual(self.plain.recorder.last()["host"], "echo.test:%d" % self.plain_port)

    def test_non_websocket_upgrade_is_dropped(self):
        import socket
        s = socket.create_connection(self.engine.addr["http"], timeout=20)
        s.sendall(b"GET http://echo.test:%d/h2c HTTP/1.1\r\nHost: echo.test:%d\r\n"
                  b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                  b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
                  % (self.plain_port, self.plain_port))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            self.assertTrue(chunk, data)
            data += chunk
        s.close()
        self.assertIn(b" 200 ", data.split(b"\r\n")[0])
        h = self.plain.recorder.last()["headers"]
        self.assertNotIn("upgrade", h)
        self.assertNotIn("http2-settings", h)

    def test_odd_sni_does_not_break_the_tunnel(self):
        import socket
        for sni in [None, "api.openai.com:%d" % self.up_port]:
            s = socket.create_connection(self.engine.addr["tunnel"], timeout=10)
            s.sendall(b"CONNECT api.openai.com:%d HTTP/1.1\r\nHost: x\r\n\r\n" % self.up_port)
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(1)
            self.assertIn(b" 200 ", head)
            ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
            ctx.check_hostname = False
            # Python refuses a server_hostname with a colon as SNI, so the
            # host:port case goes through openssl s_client below.
            if sni is None:
                t = ctx.wrap_socket(s)  # no server_hostname: no SNI
                t.sendall(b"GET /nosni HTTP/1.1\r\nHost: api.openai.com\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = t.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.assertIn(b"200 OK", data.split(b"\r\n")[0])
                cert = t.getpeercert()
                names = [v for k, v in cert.get("subjectAltName", ()) if k == "DNS"]
                self.assertEqual(names, ["api.openai.com"])
                t.close()
            else:
                s.close()
                phost, pport = self.engine.addr["tunnel"]
                r = subprocess.run(
                    ["openssl", "s_client", "-proxy", "%s:%d" % (phost, pport), "-connect",
                     "api.openai.com:%d" % self.up_port, "-servername", sni,
                     "-CAfile", self.pki["engine_ca"], "-verify_return_error", "-quiet"],
                    input=b"GET /oddsni HTTP/1.1\r\nHost: api.openai.com\r\nConnection: close\r\n\r\n",
                    capture_output=True, timeout=20)
                self.assertIn(b"200 OK", r.stdout, r.stderr)

    # --- responses -------------------------------------------------------
    def test_echoed_secret_scrubbed(self):
        # Up to 256 KiB the body is scrubbed whole and keeps a Content-Length
        # (with the new length); a larger one streams through, chunked.
        for path, pad, framing in (("/echo-secret", "", "content-length"),
                                   ("/echo-secret-big", "x" * 300000, "chunked")):
            r = subprocess.run(["curl", "-sS", "-D", "-", "-x", self.engine.url("tunnel"),
                                "--cacert", self.pki["engine_ca"],
                                "-H", "Authorization: Bearer " + OPENAI_TOKEN,
                                self.url("api.openai.com", path)],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn(OPENAI_REAL, r.stdout)
            out = r.stdout  # text mode: CRLF reads as LF
            if out.startswith("HTTP/1.1 200 Connection Established"):  # the CONNECT's answer
                out = out.partition("\n\n")[2]
            head, _, body = out.partition("\n\n")
            fields = {k.strip().lower(): v.strip() for k, _, v in
                      (line.partition(":") for line in head.split("\n")[1:])}
            self.assertEqual(fields.get("x-echo"), OPENAI_TOKEN, head)
            self.assertEqual(body, pad + "your key is %s and again %s" % (OPENAI_TOKEN, OPENAI_TOKEN))
            if framing == "content-length":
                self.assertEqual(fields.get("content-length"), str(len(body)), head)
                self.assertNotIn("transfer-encoding", fields, head)
            else:
                self.assertEqual(fields.get("transfer-encoding"), "chunked", head)
                self.assertNotIn("content-length", fields, head)
            self.assertEqual(self.last()["headers"]["authorization"], "Bearer " + OPENAI_REAL)

    def test_scrub_counted_per_secret_in_metrics(self):
        series = 'sandbox_egress_secret_scrubs_total{secret="OPENAI_API_KEY"}'
        before = self.metric(series)
        code, body, err = self.curl(self.url("api.openai.com", "/echo-secret"),
                                    "-H", "Authorization: Bearer " + OPENAI_TOKEN)
        self.assertEqual(code, 200, err + body)
        self.assertNotIn(OPENAI_REAL, body)
        # One in the X-Echo header, two in the body.
        self.assertEqual(self.metric(series) - before, 3)

    # --- compressed responses --------------------------------------------
    def test_identity_encoding_asked_where_secrets_are_mapped(self):
        code, body, err = self.curl(self.url("api.openai.com", "/ae"), "-H",
                                    "Accept-Encoding: gzip, br",
                                    "-H", "Authorization: Bearer " + OPENAI_TOKEN)
        self.assertEqual(code, 200, err + body)
        self.assertEqual(self.last()["headers"]["accept-encoding"], "identity")
        # Towards a host without secrets the client's choice is left alone.
        code, body, err = self.curl(self.url("echo.test", "/ae"), "-H",
                                    "Accept-Encoding: gzip, br")
        self.assertEqual(code, 200, err + body)
        self.assertEqual(self.last()["headers"]["accept-encoding"], "gzip, br")

    def test_compressed_echo_refused_where_secrets_are_mapped(self):
        before = self.metric('sandbox_egress_upstream_errors_total{kind="protocol"}')
        r = subprocess.run(["curl", "-sS", "-x", self.engine.url("tunnel"), "--cacert",
                            self.pki["engine_ca"], "-o", "-", "-w", "\n%{http_code}",
                            "-H", "Authorization: Bearer " + OPENAI_TOKEN,
                            self.url("api.openai.com", "/gzip-echo")],
                           capture_output=True, timeout=30)
        body, _, code = r.stdout.rpartition(b"\n")
        self.assertEqual(int(code), 502, r.stderr)
        self.assertIn(b"Content-Encoding gzip", body)
        self.assertNotIn(OPENAI_REAL.encode(), body)
        self.assertNotIn(gzip.compress(("your key is Bearer " + OPENAI_REAL).encode())[10:30], body)
        self.assertEqual(self.last()["headers"]["authorization"], "Bearer " + OPENAI_REAL)
        self.assertEqual(
            self.metric('sandbox_egress_upstream_errors_total{kind="protocol"}') - before, 1)
        # Where no secret is mapped the compressed body passes through as is.
        r = subprocess.run(["curl", "-sS", "-x", self.engine.url("tunnel"), "--cacert",
                            self.pki["engine_ca"], "--compressed", "-o", "-",
                            "-H", "Authorization: Bearer not-a-token",
                            self.url("echo.test", "/gzip-echo")],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"your key is Bearer not-a-token")

    # --- stale pooled upstream connections --------------------------------
    def stale_client(self):
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        phost, pport = self.engine.addr["tunnel"]
        conn = http.client.HTTPSConnection(phost, pport, context=ctx, timeout=20)
        conn.set_tunnel("stale.test", self.stale_port)
        return conn

    def test_stale_pooled_connection_retried_for_idempotent_request(self):
        self.stale.recorder.clear()
        retries = self.metric("sandbox_egress_upstream_retries_total")
        conn = self.stale_client()
        try:
            for i in range(2):
                conn.request("GET", "/seq/%d" % i)
                resp = conn.getresponse()
                data = resp.read()
                self.assertEqual(resp.status, 200, data)
                self.assertEqual(json.loads(data)["path"], "/seq/%d" % i)
        finally:
            conn.close()
        seen = [(r["path"], bool(r.get("dropped"))) for r in self.stale.recorder.requests]
        # The second request met the stale connection and was sent again (the
        # first too when an earlier test left a used connection in the pool).
        dropped = [path for path, d in seen if d]
        self.assertIn("/seq/1", dropped, seen)
        self.assertEqual(sorted(path for path, d in seen if not d), ["/seq/0", "/seq/1"], seen)
        self.assertEqual(self.metric("sandbox_egress_upstream_retries_total") - retries,
                         len(dropped))

    def test_stale_pooled_connection_not_retried_for_sent_post(self):
        self.stale.recorder.clear()
        conn = self.stale_client()
        try:
            conn.request("GET", "/first")
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200)
            conn.request("POST", "/charge", body=b"amount=1",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        # A POST that reached the upstream is never sent twice: 502 instead.
        self.assertEqual(resp.status, 502, data)
        posts = [r for r in self.stale.recorder.requests if r["method"] == "POST"]
        self.assertEqual(len(posts), 1)

    # --- WebSocket upgrades -------------------------------------------------
    WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="

    def ws_exchange(self, sock, target, host, token=OPENAI_TOKEN):
        """Upgrade, then messages both ways; `token` (None: no Authorization)
        is what the sandbox sends and must see echoed back."""
        auth = "Authorization: Bearer %s\r\n" % token if token else ""
        sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                      "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\n%s"
                      "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                      "Proxy-Connection: keep-alive\r\n\r\n"
                      % (target, host, self.WS_KEY, auth)).encode())
        data = fixtures.read_head(sock)
        self.assertIn(b"\r\n\r\n", data)
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.assertIn(" 101 ", lines[0] + " ", head)
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        self.assertEqual(fields.get("upgrade", "").lower(), "websocket", head)
        self.assertIn("upgrade", fields.get("connection", "").lower(), head)
        self.assertEqual(fields.get("sec-websocket-accept"), fixtures.ws_accept(self.WS_KEY))
        reader = fixtures.WsReader(sock, rest)
        # The upstream echoes the Authorization it got (the real key): the
        # sandbox sees its token instead.
        sent = ("Bearer " + token if token else "").encode()
        self.assertEqual(reader.message(), (1, b"hello from upstream; you sent: " + sent))
        for opcode, payload in ((1, b"ping 1\n"), (2, b"\x81\x05frame"),
                                (2, bytes(range(256)) * 400)):
            sock.sendall(fixtures.ws_frame(opcode, payload, mask=True))
            self.assertEqual(reader.message(), (opcode, payload))
        # The key split across fragments, a ping between them: still replaced.
        sock.sendall(fixtures.ws_frame(1, b"split", mask=True))
        self.assertEqual(reader.message(), (1, b"A " + (token or "").encode() + b" Z"))
        self.assertIn((9, b"p"), reader.controls)
        sock.sendall(fixtures.ws_frame(8, b"\x03\xe8", mask=True))
        fin, opcode, payload, masked = reader.frame()
        self.assertEqual((opcode, payload, masked), (8, b"\x03\xe8", False))

    def check_ws_upstream_request(self, server):
        rec = server.recorder.last()
        self.assertEqual(rec["path"], "/realtime?x=1")
        h = rec["headers"]
        # The swap applies to the upgrade request; the upgrade itself survives
        # hop-by-hop removal, the proxy's own fields do not.
        self.assertEqual(h["authorization"], "Bearer " + OPENAI_REAL)
        self.assertEqual(h["upgrade"], "websocket")
        self.assertEqual(h["connection"].lower(), "upgrade")
        self.assertEqual(h["sec-websocket-key"], self.WS_KEY)
        self.assertEqual(h["sec-websocket-version"], "13")
        self.assertNotIn("proxy-connection", h)
        self.assertNotIn("keep-alive", h)
        # No compression towards a host with secrets mapped.
        self.assertNotIn("sec-websocket-extensions", h)

    def test_websocket_upgrade_through_mitm_tunnel(self):
        import socket
        series = 'sandbox_egress_secret_scrubs_total{secret="OPENAI_API_KEY"}'
        before = self.metric(series)
        s = socket.create_connection(self.engine.addr["tunnel"], timeout=20)
        s.sendall(b"CONNECT api.openai.com:%d HTTP/1.1\r\nHost: api.openai.com:%d\r\n\r\n"
                  % (self.ws_port, self.ws_port))
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1)
        self.assertIn(b" 200 ", head)
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        t = ctx.wrap_socket(s, server_hostname="api.openai.com")
        try:
            self.ws_exchange(t, "/realtime?x=1", "api.openai.com")
        finally:
            t.close()
        self.check_ws_upstream_request(self.ws)
        # The greeting and the fragmented message; counted once the relay ends.
        self.assertTrue(fixtures_wait(lambda: self.metric(series) - before == 2),
                        self.metric(series) - before)

    def test_websocket_upgrade_through_http_listener(self):
        import socket
        # An upgrade that needs a swap over plain HTTP is refused (use https) ...
        s = socket.create_connection(self.engine.addr["http"], timeout=20)
        try:
            s.sendall(("GET http://api.openai.com:%d/realtime HTTP/1.1\r\nHost: api.openai.com:%d\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                       "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n"
                       % (self.ws_plain_port, self.ws_plain_port, self.WS_KEY, OPENAI_TOKEN)).encode())
            head = fixtures.read_head(s)
        finally:
            s.close()
        self.assertIn(b" 403 ", head.split(b"\r\n")[0], head)
        self.assertIn(b"use https", head)
        # ... one without a token is relayed.
        s = socket.create_connection(self.engine.addr["http"], timeout=20)
        try:
            self.ws_exchange(s, "http://api.openai.com:%d/realtime?x=1" % self.ws_plain_port,
                             "api.openai.com:%d" % self.ws_plain_port, token=None)
        finally:
            s.close()
        rec = self.ws_plain.recorder.last()
        self.assertEqual(rec["path"], "/realtime?x=1")
        self.assertNotIn("authorization", rec["headers"])

    def test_websocket_with_an_accepted_extension_is_relayed(self):
        # Where no secret is mapped the extension offer passes; if the
        # upstream accepts it, compressed frames (RSV1) from the sandbox are
        # relayed, not read: like a compressed request body, they are beyond
        # the token watch (documented detection limit).
        import socket
        port = self.ws_plain_port
        s = socket.create_connection(self.engine.addr["http"], timeout=20)
        try:
            s.sendall(("GET http://echo.test:%d/ws-deflate HTTP/1.1\r\nHost: echo.test:%d\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                       "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate"
                       "\r\n\r\n" % (port, port, self.WS_KEY)).encode())
            head, _, rest = fixtures.read_head(s).partition(b"\r\n\r\n")
            self.assertIn(b" 101 ", head.split(b"\r\n")[0], head)
            self.assertIn(b"permessage-deflate", head.lower())
            reader = fixtures.WsReader(s, rest)
            self.assertEqual(reader.message()[0], 1)  # the greeting
            s.sendall(fixtures.ws_frame(1, b"\xf2\x48\xcd\xc9\xc9\x07\x00", mask=True, rsv1=True))
            fin, op, payload, _ = reader.frame()
            self.assertEqual((fin, op, payload, reader.rsv1),
                             (True, 1, b"\xf2\x48\xcd\xc9\xc9\x07\x00", True))
        finally:
            s.close()

    def test_websocket_raw_where_no_secret_is_mapped(self):
        # echo.test has no secret: nothing is swapped in its upgrade request
        # and the extension offer passes through (its frames are re-framed
        # only because the sandbox's are watched for the OpenAI token).
        import socket
        s = socket.create_connection(self.engine.addr["http"], timeout=20)
        try:
            self.ws_exchange(s, "http://echo.test:%d/raw-ws" % self.ws_plain_port,
                             "echo.test:%d" % self.ws_plain_port, token=None)
        finally:
            s.close()
        h = self.ws_plain.recorder.last()["headers"]
        self.assertEqual(h.get("sec-websocket-extensions"), "permessage-deflate")

    def test_token_in_websocket_frame_to_wrong_host_refused(self):
        # The sandbox's frames are watched like a streamed body: a token
        # split over two fragments, sent apart, towards a host it does not
        # belong to ends the connection before any byte of it leaves.
        import socket
        before = len(self.audit_lines())
        port = self.ws_plain_port
        half = len(OPENAI_TOKEN) // 2
        echoed = b""
        s = socket.create_connection(self.engine.addr["http"], timeout=20)
        try:
            s.sendall(("GET http://echo.test:%d/ws-steal HTTP/1.1\r\nHost: echo.test:%d\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n" % (port, port, self.WS_KEY)).encode())
            head, _, rest = fixtures.read_head(s).partition(b"\r\n\r\n")
            self.assertIn(b" 101 ", head.split(b"\r\n")[0], head)
            reader = fixtures.WsReader(s, rest)
            self.assertEqual(reader.message()[0], 1)  # the greeting
            s.sendall(fixtures.ws_frame(1, b"fine", mask=True))
            self.assertEqual(reader.message(), (1, b"fine"))
            s.sendall(fixtures.ws_frame(1, b"key " + OPENAI_TOKEN[:half].encode(), fin=False,
                                        mask=True))
            time.sleep(0.3)
            s.sendall(fixtures.ws_frame(0, OPENAI_TOKEN[half:].encode() + b" end", mask=True))
            closes = []
            try:
                while True:
                    _, op, payload, masked = reader.frame()
                    self.assertFalse(masked)
                    if op == 8:
                        closes.append(payload)
                    else:
                        echoed += payload
            except (EOFError, OSError):
                pass  # the engine ended the connection
        finally:
            s.close()
        self.assertNotIn(OPENAI_TOKEN[:half].encode(), echoed)
        # The sandbox is told why, as a refused request is in its 403 body:
        # a close frame, 1008 (policy violation), with the reason.
        self.assertEqual(closes, [b"\x03\xf0refused: proxy token for OPENAI_API_KEY sent to host "
                                  b"echo.test in a WebSocket frame"])
        self.assertTrue(fixtures_wait(lambda: len(self.audit_lines()) > before))
        lines = [l for l in self.audit_lines()[before:] if l.get("path", "").endswith("/ws-steal")]
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(lines[0]["decision"], "reject", lines)
        self.assertEqual(lines[0]["reason"],
                         "proxy token for OPENAI_API_KEY sent to host echo.test in a WebSocket frame")

    def test_token_in_websocket_frame_swapped_where_match_body(self):
        # body.test's secret has match_body: a WebSocket's messages are its
        # body, so the sandbox's token in a frame reaches the upstream as the
        # real value (and the audit line names the secret). api.openai.com's
        # has not: there the token passes as it is.
        # Over a plain leg no frame gets a real value (it would travel in
        # cleartext): the token passes as it is.
        import socket
        for leg, host, token, real, swapped in (
                ("tls", "body.test", BODY_TOKEN, BODY_REAL, True),
                ("plain", "body.test", BODY_TOKEN, BODY_REAL, False),
                ("tls", "api.openai.com", OPENAI_TOKEN, OPENAI_REAL, False)):
            before = len(self.audit_lines())
            path = "/ws-swap-%s-%s" % (host.split(".")[0], leg)
            port = self.ws_port if leg == "tls" else self.ws_plain_port
            s = socket.create_connection(self.engine.addr["tunnel" if leg == "tls" else "http"],
                                         timeout=20)
            target = "http://%s:%d%s" % (host, port, path)
            if leg == "tls":
                s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
                          % (host.encode(), port, host.encode(), port))
                self.assertIn(b" 200 ", fixtures.read_head(s))
                ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
                s = ctx.wrap_socket(s, server_hostname=host)
                target = path
            try:
                s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"
                           % (target, host, port, self.WS_KEY)).encode())
                head, _, rest = fixtures.read_head(s).partition(b"\r\n\r\n")
                self.assertIn(b" 101 ", head.split(b"\r\n")[0], head)
                reader = fixtures.WsReader(s, rest)
                self.assertEqual(reader.message()[0], 1)  # the greeting
                half = len(token) // 2
                s.sendall(fixtures.ws_frame(1, b"hex:key " + token[:half].encode(), fin=False,
                                            mask=True))
                time.sleep(0.2)
                s.sendall(fixtures.ws_frame(0, token[half:].encode() + b" end", mask=True))
                opcode, got = reader.message()
                sent_on = bytes.fromhex(got[len(b"got "):].decode())
                self.assertEqual(sent_on, b"key " + (real if swapped else token).encode() + b" end")
                s.sendall(fixtures.ws_frame(8, b"\x03\xe8", mask=True))
                self.assertEqual(reader.frame()[1], 8)
            finally:
                s.close()
            self.assertTrue(fixtures_wait(lambda: any(
                l.get("path", "").endswith(path) for l in self.audit_lines()[before:])))
            line = [l for l in self.audit_lines()[before:] if l.get("path", "").endswith(path)][0]
            self.assertEqual(line["decision"], "allow", line)
            if swapped:
                self.assertEqual(line["secrets_swapped"], ["BODY_TEST_KEY"], line)
            else:
                self.assertNotIn("OPENAI_API_KEY", line["secrets_swapped"], line)

    def test_sse_streamed_as_it_arrives(self):
        proc = subprocess.Popen(["curl", "-sS", "-N", "-x", self.engine.url("tunnel"),
                                 "--cacert", self.pki["engine_ca"], self.url("echo.test", "/sse")],
                                stdout=subprocess.PIPE)
        start = time.time()
        first = proc.stdout.readline()
        first_at = time.time() - start
        rest = proc.stdout.read()
        proc.wait(20)
        proc.stdout.close()
        self.assertEqual(first, b"data: event 0\n")
        self.assertIn(b"data: event 2", rest)
        # The upstream needs ~0.9 s for the whole stream; the first event must
        # not wait for the end.
        self.assertLess(first_at, 0.75)

    def test_keep_alive_reuses_connections(self):
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        phost, pport = self.engine.addr["tunnel"]
        conn = http.client.HTTPSConnection(phost, pport, context=ctx, timeout=20)
        conn.set_tunnel("api.openai.com", self.up_port)
        ports = set()
        for i in range(5):
            conn.request("GET", "/ka/%d" % i, headers={"Authorization": "Bearer " + OPENAI_TOKEN})
            resp = conn.getresponse()
            resp.read()
            rec = self.last()
            self.assertEqual(rec["path"], "/ka/%d" % i)
            self.assertEqual(rec["headers"]["authorization"], "Bearer " + OPENAI_REAL)
            ports.add(rec["peer_port"])
        conn.close()
        # One client connection, one event loop: its pool served all five
        # requests over a single upstream connection.
        self.assertEqual(len(ports), 1, ports)

    def test_upstream_header_timeout_504(self):
        code, body, _ = self.curl(self.url("echo.test", "/slow"), "-H", "x-delay: 5")
        self.assertEqual(code, 504, body)

    def test_request_body_too_large_413(self):
        path = os.path.join(self.dir, "big.bin")
        with open(path, "wb") as f:
            f.write(b"x" * (1048576 + 10))
        code, body, _ = self.curl(self.url("body.test", "/big"), "-X", "POST",
                                  "--data-binary", "@" + path)
        self.assertEqual(code, 413, body)

    # --- request bodies that end early ---------------------------------------
    # The client announces more body than it sends, then half-closes: the
    # engine answers 400 (Connection: close) while the client still reads,
    # audits a client error (reject, not error), counts no upstream error and
    # never hands the partial request's upstream connection to a later one.
    TRUNCATED_BODY = b"x" * 10
    FULL_LENGTH = 100

    def audit_lines(self):
        with open(self.audit) as f:
            return [json.loads(l) for l in f if l.strip()]

    def upstream_errors(self):
        return sum(self.metric('sandbox_egress_upstream_errors_total{kind="%s"}' % k)
                   for k in ("protocol", "timeout", "connect", "tls", "resolve", "denied"))

    def truncated_request(self, target, host, chunked=False):
        if chunked:
            return (b"POST %s HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"a\r\n%s\r\n" % (target.encode(), host.encode(), self.TRUNCATED_BODY))
        return (b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s"
                % (target.encode(), host.encode(), self.FULL_LENGTH, self.TRUNCATED_BODY))

    def plain_truncated(self, target, host, chunked=False):
        """Through the http listener: the partial request, SHUT_WR, the answer."""
        import socket
        s = socket.create_connection(self.engine.addr["http"], timeout=20)
        try:
            s.sendall(self.truncated_request(target, host, chunked))
            s.shutdown(socket.SHUT_WR)
            return fixtures.read_until(s, None)
        finally:
            s.close()

    def tls_truncated(self, host, port, target, close_notify, chunked=False):
        """Inside a CONNECT tunnel (TLS over memory BIOs so the TCP side can be
        half-closed while TLS records are still read): the partial request,
        then close_notify + SHUT_WR (a clean TLS half-close) or a bare SHUT_WR
        (a truncated TLS stream); returns the plaintext answer."""
        import socket
        s = socket.create_connection(self.engine.addr["tunnel"], timeout=20)
        try:
            s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
                      % (host.encode(), port, host.encode(), port))
            head = b""
            while b"\r\n\r\n" not in head:
                c = s.recv(1)
                self.assertTrue(c, head)
                head += c
            self.assertIn(b" 200 ", head.split(b"\r\n")[0])
            ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = ctx.wrap_bio(incoming, outgoing, server_hostname=host)

            def flush():
                out = outgoing.read()
                if out:
                    s.sendall(out)

            def fill():
                c = s.recv(65536)
                if c:
                    incoming.write(c)
                else:
                    incoming.write_eof()
                return bool(c)

            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    flush()
                    self.assertTrue(fill(), "tunnel closed during the TLS handshake")
            flush()
            tls.write(self.truncated_request(target, "%s:%d" % (host, port), chunked))
            flush()
            if close_notify:
                try:
                    tls.unwrap()
                except ssl.SSLWantReadError:
                    pass
                flush()
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                try:
                    chunk = tls.read(65536)
                    if not chunk:
                        return data
                    data += chunk
                except ssl.SSLWantReadError:
                    if not fill():
                        try:
                            data += tls.read(65536)
                        except (ssl.SSLError, ssl.SSLZeroReturnError):
                            pass
                        return data
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    return data
        finally:
            s.close()

    def check_truncated_answer(self, data, what):
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.assertTrue(lines[0].startswith("HTTP/1.1 400 "), "%s: %r" % (what, data[:300]))
        fields = {k.strip().lower(): v.strip()
                  for k, _, v in (l.partition(":") for l in lines[1:])}
        self.assertEqual(fields.get("connection", "").lower(), "close", "%s: %r" % (what, head))
        self.assertIn(b"request body ended before its Content-Length / final chunk", body, what)

    def check_truncated_audit(self, before, path, what):
        lines = [l for l in self.audit_lines()[before:] if l.get("path", "").endswith(path)]
        self.assertEqual(len(lines), 1, "%s: %r" % (what, lines))
        self.assertEqual(lines[0]["decision"], "reject", "%s: %r" % (what, lines[0]))
        self.assertEqual(lines[0]["status"], 400, "%s: %r" % (what, lines[0]))

    def check_upstream_saw_partial(self, recorder, host, path, chunked, what):
        """The buffered path (body.test) never sends the partial request. The
        streamed one has sent its head and at most the 10 body bytes (the
        token watch holds back a tail shorter than a token, so here none),
        then must close that upstream connection: the upstream's read of the
        announced 100 bytes ends short at the close (so it records what it
        got), or, chunked, its chunk-size read fails (nothing recorded)."""
        def seen():
            return [r for r in recorder.requests if r["path"] == path]
        if host == "body.test" or chunked:
            time.sleep(0.2)
            self.assertEqual(seen(), [], what)
            return
        self.assertTrue(fixtures_wait(lambda: seen()), "%s: the upstream connection holding "
                        "the partial request was not closed" % what)
        self.assertEqual(len(seen()), 1, what)
        self.assertTrue(self.TRUNCATED_BODY.decode().startswith(seen()[0]["body"]), what)

    def check_truncated(self, what, send, recorder, host, path, chunked):
        """Sends a cut-short request with send() and checks the whole outcome:
        400 + close, no upstream error, one reject audit line, and what the
        upstream got (check_upstream_saw_partial)."""
        errors = self.upstream_errors()
        before = len(self.audit_lines())
        self.check_truncated_answer(send(), what)
        self.assertEqual(self.upstream_errors(), errors, what)
        # The audit line is written once the answer went out.
        self.assertTrue(fixtures_wait(lambda: len(self.audit_lines()) > before), what)
        self.check_truncated_audit(before, path, what)
        self.check_upstream_saw_partial(recorder, host, path, chunked, what)

    def test_truncated_request_body_plain_forward(self):
        # Streamed (echo.test: no body secret) and buffered (body.test: the body
        # is read whole for the swap), Content-Length and chunked framing.
        for host, path, chunked in (("echo.test", "/trunc-stream", False),
                                    ("echo.test", "/trunc-stream-chunked", True),
                                    ("body.test", "/trunc-buffered", False),
                                    ("body.test", "/trunc-buffered-chunked", True)):
            self.plain.recorder.clear()
            authority = "%s:%d" % (host, self.plain_port)
            self.check_truncated(
                host + path,
                lambda: self.plain_truncated("http://%s%s" % (authority, path), authority,
                                             chunked),
                self.plain.recorder, host, path, chunked)
        # The engine still serves on a fresh client connection.
        code, body, err = self.curl("http://echo.test:%d/after-trunc" % self.plain_port,
                                    proxy="http")
        self.assertEqual(code, 200, err + body)

    def test_malformed_chunked_request_body_400(self):
        # Bad chunked framing in the body is the client's error too: 400,
        # audited reject, no upstream error, on both paths.
        import socket
        for host, path in (("echo.test", "/bad-chunk-stream"), ("body.test", "/bad-chunk-buf")):
            what = host + path
            self.plain.recorder.clear()
            errors = self.upstream_errors()
            before = len(self.audit_lines())
            authority = "%s:%d" % (host, self.plain_port)
            s = socket.create_connection(self.engine.addr["http"], timeout=20)
            try:
                s.sendall(b"POST http://%s%s HTTP/1.1\r\nHost: %s\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
                          % (authority.encode(), path.encode(), authority.encode()))
                s.shutdown(socket.SHUT_WR)
                data = fixtures.read_until(s, None)
            finally:
                s.close()
            self.assertTrue(data.startswith(b"HTTP/1.1 400 "), "%s: %r" % (what, data[:300]))
            self.assertIn(b"malformed request body", data, what)
            self.assertEqual(self.upstream_errors(), errors, what)
            self.assertTrue(fixtures_wait(lambda: len(self.audit_lines()) > before), what)
            self.check_truncated_audit(before, path, what)
            time.sleep(0.2)
            self.assertEqual([r for r in self.plain.recorder.requests if r["path"] == path], [],
                             what)

    def test_truncated_request_body_inside_tls_tunnel(self):
        for host, path, close_notify in (("echo.test", "/tls-trunc-stream", True),
                                         ("echo.test", "/tls-trunc-stream-raw", False),
                                         ("body.test", "/tls-trunc-buffered", True),
                                         ("body.test", "/tls-trunc-buffered-raw", False)):
            self.check_truncated(
                host + path,
                lambda: self.tls_truncated(host, self.up_port, path, close_notify),
                self.upstream.recorder, host, path, False)

    def test_truncated_streamed_body_drops_the_upstream_connection(self):
        # A keep-alive connection to the upstream is pooled by a first request;
        # a second client's partial body goes out on it and is cut short: that
        # connection must be closed, so a third request gets a fresh one (a
        # reused one would have its head read as the rest of the partial body).
        import socket
        url = "http://echo.test:%d" % self.plain_port
        code, body, err = self.curl(url + "/pool-1", proxy="http")
        self.assertEqual(code, 200, err + body)
        data = self.plain_truncated(url + "/pool-trunc", "echo.test:%d" % self.plain_port)
        self.check_truncated_answer(data, "pool-trunc")
        s = socket.create_connection(self.engine.addr["http"], timeout=20)
        try:
            s.sendall(b"GET %s/pool-2 HTTP/1.1\r\nHost: echo.test:%d\r\nConnection: close\r\n\r\n"
                      % (url.encode(), self.plain_port))
            answer = fixtures.read_until(s, None)
        finally:
            s.close()
        self.assertIn(b" 200 ", answer.split(b"\r\n")[0], answer[:300])
        # By path: the upstream may record the cut-short /pool-trunc (when it
        # sees that connection close) after /pool-2.
        recs = [r for r in self.plain.recorder.requests if r["path"] == "/pool-2"]
        self.assertEqual(len(recs), 1, recs)
        self.assertEqual(recs[0]["body"], "")

    def test_upstream_tls_sessions_are_resumed(self):
        # Without the keep-alive pool (--upstream-idle 0) every request dials
        # the upstream again; the second and later handshakes resume a ticket
        # an earlier one received, and the swap still happens. One event loop:
        # tickets are kept per loop.
        engine = fixtures.Engine(harness.SANDBOX_EGRESS, self.config, engine_env(self.pki),
                                 resolve=["api.openai.com:%d:127.0.0.1" % self.up_port],
                                 threads=1, flags=["--upstream-idle", "0"])
        try:
            for i in range(3):
                r = subprocess.run(
                    ["curl", "-sS", "-x", engine.url("tunnel"), "--cacert", self.pki["engine_ca"],
                     "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20",
                     "-H", "Authorization: Bearer " + OPENAI_TOKEN,
                     self.url("api.openai.com", "/v1/resume-%d" % i)],
                    capture_output=True, text=True, timeout=30)
                self.assertEqual(r.stdout, "200", r.stderr)
                self.assertEqual(self.last()["headers"]["authorization"], "Bearer " + OPENAI_REAL)
            with urllib.request.urlopen(engine.url("metrics") + "/metrics", timeout=10) as resp:
                text = resp.read().decode()
        finally:
            engine.stop()
        log = engine.stderr()
        counts = {}
        for line in text.splitlines():
            if line.startswith("sandbox_egress_upstream_tls_handshakes_total{"):
                counts[line.split('"')[1]] = float(line.split()[-1])
        self.assertEqual(counts.get("false"), 1.0, text + log)
        self.assertEqual(counts.get("true"), 2.0, text + log)
        for s in SECRETS + TOKENS:
            self.assertNotIn(s, log)

    def test_z_health_metrics_and_audit(self):
        with urllib.request.urlopen(self.engine.url("metrics") + "/healthz", timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read().strip(), b"OK")
        with urllib.request.urlopen(self.engine.url("metrics") + "/metrics", timeout=10) as r:
            text = r.read().decode()
        type(self).metrics_text = text
        self.assertIn("sandbox_egress_requests_total", text)
        self.assertIn('secret="OPENAI_API_KEY"', text)
        with open(self.audit) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        self.assertTrue(any(l["decision"] == "reject" for l in lines))
        allowed = [l for l in lines if l["decision"] == "allow" and l["host"] == "api.openai.com"]
        self.assertTrue(allowed)
        self.assertIn("OPENAI_API_KEY", sum((l["secrets_swapped"] for l in allowed), []))


if __name__ == "__main__":
    harness.main()
