"""Fixtures for the built-in engine's integration tests and benchmark.

- make_pki(dir): a test upstream CA + a server certificate for the provider
  host names (the engine trusts it through SSL_CERT_FILE), and the engine's
  own MITM CA (clients trust it with --cacert). Generated with the openssl CLI.
- Upstream: a local HTTPS (or plain) HTTP/1.1 server on 127.0.0.1 that records
  every request it receives and answers with a JSON echo of it. Variants: a
  "stale" one that drops every keep-alive connection when its second request
  arrives (no response byte), and a WebSocket-ish one that answers an
  `Upgrade: websocket` request with 101 and then echoes raw bytes.
- RawHandler: records the raw bytes of every request (what the engine wrote).
- Engine: writes proxy.yaml, starts `sandbox-egress serve`, reads the bound
  addresses from its stderr, stops it.
Everything listens on and dials loopback only.
"""
import base64
import gzip
import hashlib
import http.server
import json
import os
import random
import signal
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import urllib.request

PROVIDER_HOSTS = ["api.openai.com", "api.anthropic.com",
                  "generativelanguage.googleapis.com", "echo.test", "body.test",
                  "blocked.test", "stale.test"]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name, cn):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".crt", "-subj", "/CN=" + cn, "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    os.chmod(os.path.join(d, name + ".key"), 0o600)


def make_pki(d, extra_hosts=()):
    """The CAs and the upstream certificate, valid for PROVIDER_HOSTS,
    `extra_hosts` and 127.0.0.1."""
    make_ca(d, "upstream-ca", "sandbox-egress test upstream CA")
    make_ca(d, "engine-ca", "sandbox-egress test MITM CA")
    with open(os.path.join(d, "upstream.ext"), "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + h for h in PROVIDER_HOSTS + list(extra_hosts)) +
                ",IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "upstream.key", "-out", "upstream.csr", "-subj", "/CN=upstream", cwd=d)
    openssl("x509", "-req", "-in", "upstream.csr", "-CA", "upstream-ca.crt", "-CAkey",
            "upstream-ca.key", "-CAcreateserial", "-out", "upstream.crt", "-days", "2",
            "-extfile", "upstream.ext", cwd=d)
    return {k: os.path.join(d, v) for k, v in {
        "upstream_ca": "upstream-ca.crt", "upstream_cert": "upstream.crt",
        "upstream_key": "upstream.key", "engine_ca": "engine-ca.crt",
        "engine_ca_key": "engine-ca.key"}.items()}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []

    def add(self, rec):
        with self.lock:
            self.requests.append(rec)

    def last(self):
        with self.lock:
            return self.requests[-1] if self.requests else None

    def clear(self):
        with self.lock:
            self.requests.clear()


class _LineTap:
    """Forwards readline() to a file and keeps the bytes it returned."""
    def __init__(self, f):
        self.f, self.data = f, b""

    def readline(self, *args):
        line = self.f.readline(*args)
        self.data += line
        return line


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def parse_request(self):
        # Keep the header section as received (raw_head in the record, as
        # latin-1 text), so a test can assert the exact bytes the engine wrote.
        rfile, tap = self.rfile, _LineTap(self.rfile)
        self.rfile = tap
        try:
            return super().parse_request()
        finally:
            self.rfile = rfile
            self.raw_head = self.raw_requestline + tap.data

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            return self.rfile.read(n)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        body = self._body()
        rec = {"method": self.command, "path": self.path, "host": self.headers.get("Host"),
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("latin-1"), "peer_port": self.client_address[1],
               "raw_head": self.raw_head.decode("latin-1")}
        self.server.recorder.add(rec)
        path = self.path.split("?")[0]
        if path == "/slow":
            time.sleep(float(self.headers.get("x-delay", "2")))
        if path in ("/echo-secret", "/echo-secret-big"):
            # Echoes the credential it received, in a header and in the body
            # (after 300,000 bytes of padding for -big).
            auth = self.headers.get("Authorization", "")
            value = auth[len("Bearer "):] if auth.startswith("Bearer ") else auth
            pad = "x" * 300000 if path.endswith("-big") else ""
            self._send(200, (pad + "your key is " + value + " and again " + value).encode(),
                       [("X-Echo", value), ("Content-Type", "text/plain")])
            return
        if path == "/gzip-echo":
            # Ignores Accept-Encoding: a gzip body echoing the credential.
            auth = self.headers.get("Authorization", "")
            self._send(200, gzip.compress(("your key is " + auth).encode()),
                       [("Content-Encoding", "gzip"), ("Content-Type", "text/plain")])
            return
        if path == "/sse":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(3):
                chunk = ("data: event %d\n\n" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                time.sleep(0.3)
            self.wfile.write(b"0\r\n\r\n")
            return
        echo = {k: v for k, v in rec.items() if k != "raw_head"}  # the body as before raw_head
        self._send(200, json.dumps(echo).encode(), [("Content-Type", "application/json")])

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class _StaleHandler(_Handler):
    """Serves one request per connection with keep-alive, then, when the next
    request on that connection arrives, reads it and closes without a byte of
    response: a keep-alive connection that went stale under the client."""

    def setup(self):
        super().setup()
        self.served = 0

    def _handle(self):
        if self.served:
            body = self._body()
            self.server.recorder.add({"method": self.command, "path": self.path,
                                      "body": body.decode("latin-1"), "dropped": True})
            self.close_connection = True
            return
        self.served += 1
        super()._handle()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


def read_until(sock, marker):
    """Reads from sock until `marker` has arrived (None: until the peer
    closes) or the peer closes; returns all it read."""
    data = b""
    while marker is None or marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def read_head(sock):
    """Reads from sock until a blank line (b"\\r\\n\\r\\n") has arrived or the
    peer closes; returns all it read (the head and what followed it)."""
    return read_until(sock, b"\r\n\r\n")


def read_response(sock):
    """(status, head, rest) of the response arriving on sock: the head
    without the blank line, its status (0 when it is not an HTTP/ status
    line), and what followed it, read until the Content-Length body is in or
    the peer closes."""
    head, _, rest = read_head(sock).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    return status, head, rest


def parse_head(head):
    """(method, target, {lower-cased name: value}) of a raw request head
    (bytes, without the blank line)."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, target, headers


WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_accept(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def ws_frame(opcode, payload, fin=True, mask=False, rsv1=False):
    """One WebSocket frame (RFC 6455 §5.2); clients mask, servers do not.
    rsv1: the bit permessage-deflate sets on a compressed message."""
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if mask:
        key = os.urandom(4)
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


class WsReader:
    """Reads WebSocket frames from a socket (bytes already read first)."""

    def __init__(self, sock, data=b""):
        self.sock, self.buf, self.controls = sock, data, []

    def _take(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed with %d of %d bytes" % (len(self.buf), n))
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        """(fin, opcode, payload, masked); self.rsv1 is that frame's RSV1 bit"""
        b0, b1 = self._take(2)
        self.rsv1 = bool(b0 & 0x40)
        n = b1 & 0x7f
        if n == 126:
            n = int.from_bytes(self._take(2), "big")
        elif n == 127:
            n = int.from_bytes(self._take(8), "big")
        key = self._take(4) if b1 & 0x80 else None
        payload = self._take(n)
        if key:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return bool(b0 & 0x80), b0 & 0x0f, payload, key is not None

    def message(self):
        """(opcode, payload) of the next data message; control frames met on
        the way are kept in self.controls."""
        opcode, data = None, b""
        while True:
            fin, op, payload, _ = self.frame()
            if op & 0x8:
                self.controls.append((op, payload))
                continue
            if opcode is None:
                opcode = op
            data += payload
            if fin:
                return opcode, data


class _WsHandler(socketserver.BaseRequestHandler):
    """Answers `Upgrade: websocket` with 101 plus a text frame greeting that
    echoes the Authorization it received (in the same write), then echoes
    each message; "split" gets that Authorization's credential back in three
    fragments with a ping between them, "hex:DATA" gets "got " + DATA in hex.
    Anything else gets 400."""

    def handle(self):
        sock = self.request
        try:
            data = read_head(sock)
            if b"\r\n\r\n" not in data:
                return
            head, _, rest = data.partition(b"\r\n\r\n")
            method, path, headers = parse_head(head)
            self.server.recorder.add({"method": method, "path": path, "headers": headers})
            if headers.get("upgrade", "").lower() != "websocket":
                body = b"not an upgrade"
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(body), body))
                return
            auth = headers.get("authorization", "").encode()
            # "deflate" in the path: accept the extension offered (the
            # frames are still echoed as they come, RSV1 included).
            ext = ("Sec-WebSocket-Extensions: permessage-deflate\r\n"
                   if "deflate" in path and "sec-websocket-extensions" in headers else "")
            sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n"
                          % (ws_accept(headers.get("sec-websocket-key", "")), ext)).encode() +
                         ws_frame(1, b"hello from upstream; you sent: " + auth))
            reader = WsReader(sock, rest)
            while True:
                fin, op, payload, _ = reader.frame()
                rsv1 = reader.rsv1
                if op == 8:
                    sock.sendall(ws_frame(8, payload))
                    return
                if op == 9:
                    sock.sendall(ws_frame(10, payload))
                elif op == 1 and payload.startswith(b"hex:"):
                    # The whole message as it arrived here (the engine may
                    # re-fragment it), hex-encoded so that no scrub on the way
                    # back can hide it: proves what the engine sent on.
                    while not fin:
                        fin, cont, more, _ = reader.frame()
                        if not cont & 0x8:
                            payload += more
                    sock.sendall(ws_frame(1, b"got " + payload[4:].hex().encode()))
                elif op == 1 and payload == b"split":
                    cred = auth.split(b" ", 1)[-1]
                    sock.sendall(ws_frame(1, b"A " + cred[:8], fin=False) + ws_frame(9, b"p") +
                                 ws_frame(0, cred[8:], fin=False) + ws_frame(0, b" Z"))
                else:
                    sock.sendall(ws_frame(op, payload, fin=fin, rsv1=rsv1))
        except (OSError, ValueError, EOFError):
            return


class RawHandler(socketserver.BaseRequestHandler):
    """Records the raw bytes of each request it receives (head and body, as
    framed on the wire: Content-Length bytes, or chunks up to the last one
    and its trailer section) in server.recorder as {"raw": bytes}, and
    answers 200 "ok" with keep-alive. For asserting exactly what the engine
    wrote upstream."""

    def _read_request(self, buf):
        while b"\r\n\r\n" not in buf:
            chunk = self.request.recv(65536)
            if not chunk:
                return None, buf
            buf += chunk
        end = buf.index(b"\r\n\r\n") + 4
        head = buf[:end].decode("latin-1").lower()
        fields = [line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line]
        names = {n.strip(): v.strip() for n, v in fields}
        if names.get("transfer-encoding") == "chunked":
            pos = end
            while True:
                while b"\r\n" not in buf[pos:]:
                    buf += self.request.recv(65536)
                line_end = buf.index(b"\r\n", pos)
                size = int(buf[pos:line_end].split(b";")[0], 16)
                if size == 0:
                    while b"\r\n\r\n" not in buf[line_end:]:
                        buf += self.request.recv(65536)
                    stop = buf.index(b"\r\n\r\n", line_end) + 4
                    return buf[:stop], buf[stop:]
                pos = line_end + 2 + size + 2
                while len(buf) < pos:
                    buf += self.request.recv(65536)
        stop = end + int(names.get("content-length", "0") or 0)
        while len(buf) < stop:
            chunk = self.request.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf[:stop], buf[stop:]

    def respond(self, raw):
        """Records one request and returns the response bytes to send;
        subclasses answer otherwise."""
        self.server.recorder.add({"raw": raw})
        return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    def handle(self):
        buf = b""
        while True:
            raw, buf = self._read_request(buf)
            if raw is None:
                return
            self.request.sendall(self.respond(raw))


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class _TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def _serve(server, pki):
    server.recorder = Recorder()
    server.port = server.server_address[1]
    if pki:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki["upstream_cert"], pki["upstream_key"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_upstream(pki=None, kind="echo", host="127.0.0.1", port=0, handler=None):
    """Starts an HTTPS upstream (or plain HTTP when pki is None) on host:port
    (default: loopback, a free port; the server's .port says which): kind
    "echo" (JSON echo), "stale" (_StaleHandler) or "ws" (_WsHandler); or, with
    `handler`, a socketserver.BaseRequestHandler of the caller's on raw
    connections. Stop it with .shutdown()."""
    if handler is not None or kind == "ws":
        return _serve(_TcpServer((host, port), handler or _WsHandler), pki)
    return _serve(_Server((host, port), _StaleHandler if kind == "stale" else _Handler), pki)


def engine_env(mgmt_key, pki=None, **keys):
    """The whole environment a test starts the engine with: PATH, the
    stand-in's CA as SSL_CERT_FILE (with `pki`), the real keys by variable
    name, and the management API key."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if pki:
        env["SSL_CERT_FILE"] = pki["upstream_ca"]
    env.update(keys)
    env["SANDBOX_EGRESS_MGMT_KEY"] = mgmt_key
    return env


def resolve_all(hosts, ports, address="127.0.0.1"):
    """--resolve entries (HOST:PORT:ADDRESS) sending every host on every port to `address`."""
    return ["%s:%d:%s" % (h, p, address) for h in hosts for p in ports]


def own_loopback():
    """A random loopback address in 127.40.0.0 and above: ports 443 and 80 on
    it are free for a stand-in (127.0.0.1's may be taken)."""
    return "127.%d.%d.%d" % (random.randint(40, 250), random.randint(1, 250), random.randint(2, 250))


def yaml_list(items):
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def render_config(path, pki, allow, secrets, deny, timeout="30s", max_body=1048576,
                  tunnel="127.0.0.1:0", http="127.0.0.1:0", metrics="127.0.0.1:0",
                  management="127.0.0.1:0", https="127.0.0.1:0"):
    """Writes a proxy.yaml in the iron-proxy v0.39 schema."""
    lines = [
        "dns:", "  listen: 127.0.0.1:0", "  proxy_ip: 127.0.0.1",
        "proxy:", "  http_listen: " + http, "  https_listen: " + https,
        "  tunnel_listen: " + tunnel,
        "  max_request_body_bytes: %d" % max_body, "  max_response_body_bytes: 0",
        "  upstream_response_header_timeout: " + timeout,
        "  upstream_deny_cidrs: " + yaml_list(deny),
        "tls:", "  ca_cert: " + pki["engine_ca"], "  ca_key: " + pki["engine_ca_key"],
        "  cert_cache_size: 1000", "  leaf_cert_expiry_hours: 72",
        "metrics:", "  listen: " + metrics,
        "management:", "  listen: " + management, "  api_key_env: SANDBOX_EGRESS_MGMT_KEY",
        "log:", "  level: info",
        "transforms:",
        "  - name: allowlist", "    config:", "      domains: " + yaml_list(allow),
        "  - name: secrets", "    config:", "      secrets:",
    ]
    if not secrets:
        lines[-1] = "      secrets: []"
    for s in secrets:
        lines += [
            "        - source: {type: env, var: %s}" % s["env"],
            "          replace:",
            "            proxy_value: " + s["token"],
            "            match_headers: " + yaml_list(s.get("headers", [])),
            "            match_query: %s" % str(s.get("query", False)).lower(),
            "            match_path: false",
            "            match_body: %s" % str(s.get("body", False)).lower(),
            "            require: %s" % str(s.get("require", False)).lower(),
            "          rules:",
        ] + ["            - host: " + h for h in s["hosts"]]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class Engine:
    """A running `sandbox-egress serve`; addresses parsed from its stderr."""

    def __init__(self, binary, config, env, resolve=(), audit_log=None, threads=2, extra=(),
                 flags=(), preexec_fn=None):
        self.log_path = config + ".stderr"
        self.log = open(self.log_path, "w")
        args = [binary, "serve", "--config", config, "--threads", str(threads)]
        for r in resolve:
            args += ["--resolve", r]
        if audit_log:
            args += ["--audit-log", audit_log]
        for e in extra:
            args += ["--listen-extra", e]
        args += list(flags)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log, env=env,
                                     preexec_fn=preexec_fn)
        self.addr = {}
        deadline = time.time() + 15
        while time.time() < deadline:
            text = self.stderr()
            for line in text.splitlines():
                parts = line.split()
                # "sandbox-egress serve: listening ROLE ADDR:PORT"
                if len(parts) == 5 and parts[2] == "listening":
                    host, port = parts[4].rsplit(":", 1)
                    self.addr[parts[3]] = (host.strip("[]"), int(port))
            if "ready" in text:
                return
            if self.proc.poll() is not None:
                raise RuntimeError("engine exited %s: %s" % (self.proc.returncode, text))
            time.sleep(0.05)
        raise RuntimeError("engine not ready: " + self.stderr())

    def stderr(self):
        with open(self.log_path) as f:
            return f.read()

    def url(self, role):
        host, port = self.addr[role]
        return "http://%s:%d" % (host, port)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def wait_for(cond, timeout=5.0):
    """Polls cond() every 50 ms until it holds or `timeout` s passed; its last value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def metric(engine, series):
    """The value of one series of the engine's /metrics (0 when absent)."""
    with urllib.request.urlopen(engine.url("metrics") + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
    return 0.0


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
