"""An egress stack (egress_stack.Stack: `sandbox-egress start`, bridge
isolation) plus two plain-HTTP upstreams on loopback for the engine fault
cases:

- LoadUpstream (asyncio): answers every request "200 ok", keep-alive;
- bad_upstream(): misbehaves by path (garbage status line, bad chunked
  encoding, truncated body, ...), over plain HTTP and over TLS (the stand-in's
  test certificate, so the engine's MITM path reaches it too); started by
  tests/integration/proxy/fixtures.py like the stand-in itself.

Both host names (body.test, echo.test) are in the stand-in certificate and
allowed through proxy.extra_allowed_hosts; the engine resolves them to
127.0.0.1 (serve --resolve).
"""
import asyncio
import os
import socketserver
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import faults_support  # noqa: E402,F401  (sets sys.path for support/)
import egress_stack  # noqa: E402
from egress_stack import fixtures  # noqa: E402  (tests/integration/proxy/fixtures.py)

LOAD_HOST = "body.test"
BAD_HOST = "echo.test"


class LoadUpstream:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.requests = 0
        ready = threading.Event()

        async def handle(reader, writer):
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    if not head:
                        break
                    self.requests += 1
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                 b"Content-Length: 2\r\n\r\nok")
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                pass
            finally:
                writer.close()

        def run():
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(
                asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096))
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


BAD = {
    # path: bytes sent after reading the request head, then the connection is closed
    "/garbage-status": b"HELLO THIS IS NOT HTTP\r\n\r\n",
    "/bad-status-code": b"HTTP/1.1 9x9 What\r\nContent-Length: 0\r\n\r\n",
    "/binary": bytes(range(256)) * 8,
    "/close": b"",
    "/bad-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    "/chunk-too-long": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefghij\r\n0\r\n\r\n",
    "/truncated-body": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly-a-few-bytes",
    "/truncated-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
    "/truncated-head": b"HTTP/1.1 200 OK\r\nContent-Le",
    "/bad-content-length": b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\nxx",
    "/two-content-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nxxxxx",
    "/huge-header": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (1 << 20) + b"\r\nContent-Length: 0\r\n\r\n",
    "/many-headers": b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(20000))
                     + b"Content-Length: 0\r\n\r\n",
    "/nul-in-header": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n",
    "/good": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngood",
}


class _BadHandler(socketserver.BaseRequestHandler):
    """Reads one request head, sends BAD[path], closes."""

    def handle(self):
        conn = self.request
        try:
            conn.settimeout(20)
            data = fixtures.read_head(conn)
            if b"\r\n\r\n" not in data:
                return
            path = data.split(b" ", 2)[1].decode("latin-1").split("?")[0]
            self.server.recorder.add({"path": path})
            conn.sendall(BAD.get(path, BAD["/good"]))
        except (OSError, IndexError):  # ssl.SSLError is an OSError
            pass


def bad_upstream(pki=None):
    """A misbehaving upstream (fixtures.start_upstream): plain HTTP, or HTTPS
    with the stand-in's certificate when pki is given."""
    return fixtures.start_upstream(pki, handler=_BadHandler)


class EngineStack(egress_stack.Stack):
    def __init__(self, tunnel_port):
        super().__init__(tunnel_port, isolation="bridge",
                         extra_config="  extra_allowed_hosts: [%s, %s]\n" % (LOAD_HOST, BAD_HOST))
        self.load = LoadUpstream()
        self.bad = bad_upstream()
        self.bad_tls = bad_upstream(self.pki)
        # Resolved to 127.0.0.1, where the stand-in (upstream_host) listens too.
        self.extra_resolve += [(LOAD_HOST, self.load.port), (BAD_HOST, self.bad.port),
                               (BAD_HOST, self.bad_tls.port)]

    def listen(self, key):
        """(host, port) of proxy.yaml's tunnel_listen or http_listen."""
        with open(os.path.join(self.home, "egress", "proxy.yaml")) as f:
            for line in f:
                k, _, v = line.strip().partition(": ")
                if k == key:
                    host, port = v.strip().rsplit(":", 1)
                    return host.strip("[]"), int(port)
        raise KeyError(key)

    def pid(self):
        with open(os.path.join(self.home, "egress", "daemon.pid")) as f:
            return int(f.read().split()[0])

    def cleanup(self):
        super().cleanup()
        self.load.close()
        for server in (self.bad, self.bad_tls):
            server.shutdown()
            server.server_close()
