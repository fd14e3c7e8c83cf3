"""The built-in engine (`sandbox-serve` started by `sandbox-egress start`)
under load and under malformed traffic (issue 7 section 3):

- LoadTest: SR_FAULTS_CONNS concurrent keep-alive connections from loopback
  clients (default 200; scripts/faults.sh: 1000) for SR_FAULTS_SECONDS
  (default 10; faults.sh: 60), plus sandboxes sending HTTPS requests through
  the tunnel meanwhile: no request fails, and after the load the daemon's
  client sockets are back to the baseline, its other fds and its RSS do not
  grow from one round to the next.
- MalformedClientTest: garbage, huge and truncated requests on both
  listeners, a bad TLS handshake in a tunnel: an error answer or a closed
  connection in bounded time, and the engine keeps serving.
- MalformedUpstreamTest: garbage status lines, bad chunked encoding, a
  truncated body, ... over plain HTTP and over TLS: a 502 (or, once the
  response has begun, a closed connection) in bounded time, never a hang, and
  the engine keeps serving.
"""
import asyncio
import os
import random
import resource
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_support as fs  # noqa: E402
from faults_support import harness  # noqa: E402
import engine_stack  # noqa: E402
from engine_stack import LOAD_HOST, BAD_HOST, BAD  # noqa: E402

CONNS = int(os.environ.get("SR_FAULTS_CONNS", "200"))
SECONDS = float(os.environ.get("SR_FAULTS_SECONDS", "10"))
SANDBOXES = int(os.environ.get("SR_FAULTS_SANDBOXES", "2"))
IO_TIMEOUT = 20  # no single exchange may take longer: that would be a hang

STACK = None


def setUpModule():
    global STACK
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    STACK = engine_stack.EngineStack(fs.PORTS["engine"])
    try:
        STACK.setup_and_start()
    except Exception:
        STACK.cleanup()
        raise


def tearDownModule():
    if STACK:
        STACK.cleanup()


def socket_inodes(pid):
    """{inode: fd} of the process's sockets."""
    out = {}
    base = "/proc/%d/fd" % pid
    for fd in os.listdir(base):
        try:
            link = os.readlink(os.path.join(base, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            out[link[8:-1]] = fd
    return out


def fd_breakdown(pid, listen_ports, upstream_ports):
    """Counts of the daemon's fds: client connections (accepted on a listen
    port), upstream connections (to one of upstream_ports), and all others."""
    inodes = socket_inodes(pid)
    total = len(os.listdir("/proc/%d/fd" % pid))
    clients = upstream = 0
    for table in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, table)) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local_port = int(parts[1].rsplit(":", 1)[1], 16)
            remote_port = int(parts[2].rsplit(":", 1)[1], 16)
            state, inode = parts[3], parts[9]
            if inode not in inodes or state == "0A":  # 0A: LISTEN
                continue
            if local_port in listen_ports:
                clients += 1
            elif remote_port in upstream_ports:
                upstream += 1
    return {"total": total, "clients": clients, "upstream": upstream,
            "other": total - clients - upstream}


def engine_alive_and_serving(test):
    pid = STACK.pid()
    os.kill(pid, 0)
    with open("/proc/%d/status" % pid) as f:
        state = next(line for line in f if line.startswith("State:"))
    test.assertNotIn("Z", state.split()[1], "the engine is a zombie")
    status, body = plain_request(LOAD_HOST, STACK.load.port, "/after")
    test.assertEqual(status, 200, body)


def recv_all(sock, limit=4 << 20):
    data = b""
    sock.settimeout(IO_TIMEOUT)
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(data):
    first = data.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) >= 2 and first[0].startswith(b"HTTP/") and first[1].isdigit() else None


def plain_request(host, port, path):
    """A proxied plain-HTTP request on the http listener: (status, raw)."""
    with socket.create_connection(STACK.listen("http_listen"), timeout=IO_TIMEOUT) as s:
        s.sendall(b"GET http://%s:%d%s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n"
                  % (host.encode(), port, path.encode(), host.encode(), port))
        data = recv_all(s)
    return status_of(data), data


def tls_request(host, port, path):
    """A request through the tunnel (CONNECT, then TLS with the engine's CA)."""
    s = socket.create_connection(STACK.listen("tunnel_listen"), timeout=IO_TIMEOUT)
    try:
        s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), port, host.encode(), port))
        head = engine_stack.fixtures.read_head(s)
        if b"\r\n\r\n" not in head:
            return None, head
        if status_of(head) != 200:
            return status_of(head), head
        ctx = ssl.create_default_context(cafile=os.path.join(STACK.home, "egress", "ca.crt"))
        t = ctx.wrap_socket(s, server_hostname=host)
        t.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path.encode(), host.encode()))
        data = recv_all(t)
        return status_of(data), data
    finally:
        s.close()


async def read_response(reader):
    """(head, body) of one response: Content-Length or chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower()] = v.strip().lower()
    if b"content-length" in headers:
        return head, await reader.readexactly(int(headers[b"content-length"]))
    if headers.get(b"transfer-encoding") == b"chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers expected
                return head, body
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    return head, b""


class LoadTest(unittest.TestCase):
    def round(self, conns, seconds, interval):
        """conns keep-alive connections, each sending one request every
        ~interval s for `seconds`; returns (requests ok, errors, peak fds)."""
        addr = STACK.listen("http_listen")
        port = STACK.load.port
        req = (b"GET http://%s:%d/load HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
               % (LOAD_HOST.encode(), port, LOAD_HOST.encode(), port))
        stats = {"ok": 0, "errors": [], "peak": 0}
        pid = STACK.pid()

        async def client(i, opened, go):
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(*addr), IO_TIMEOUT)
            except Exception as e:  # noqa: BLE001
                stats["errors"].append("connect %d: %r" % (i, e))
                opened.release()
                return
            opened.release()
            await go.wait()
            end = time.time() + seconds
            await asyncio.sleep(random.uniform(0, interval))
            try:
                while time.time() < end:
                    writer.write(req)
                    head, body = await asyncio.wait_for(read_response(reader), IO_TIMEOUT)
                    if status_of(head) != 200 or body != b"ok":
                        stats["errors"].append("conn %d: %r" % (i, head[:80]))
                        break
                    stats["ok"] += 1
                    await asyncio.sleep(interval * random.uniform(0.5, 1.5))
            except Exception as e:  # noqa: BLE001
                stats["errors"].append("conn %d after %d ok: %r" % (i, stats["ok"], e))
            finally:
                writer.close()

        async def sample(go):
            await go.wait()
            end = time.time() + seconds
            while time.time() < end:
                stats["peak"] = max(stats["peak"], len(os.listdir("/proc/%d/fd" % pid)))
                await asyncio.sleep(1)

        async def main():
            opened = asyncio.Semaphore(0)
            go = asyncio.Event()
            tasks = [asyncio.ensure_future(client(i, opened, go)) for i in range(conns)]
            for _ in range(conns):
                await opened.acquire()
            go.set()  # every connection is open before the first request
            await asyncio.gather(sample(go), *tasks)

        try:
            asyncio.run(asyncio.wait_for(main(), seconds + 3 * IO_TIMEOUT + 60))
        except asyncio.TimeoutError:
            stats["errors"].append("the round did not end within %.0f s" % (seconds + 3 * IO_TIMEOUT + 60))
        return stats

    def sandboxes(self, seconds):
        """Sandboxes sending HTTPS requests through the tunnel for `seconds`."""
        url = STACK.url("api.openai.com", "/v1/load")
        script = ('end=$(($(date +%%s)+%d)); while [ $(date +%%s) -lt $end ]; do '
                  'curl -sS -m 20 -o /dev/null -w "%%{http_code}\\n" "%s" '
                  '-H "Authorization: Bearer $OPENAI_API_KEY" 2>/tmp/err || '
                  'echo "fail $(date +%%T) $(cat /tmp/err)"; sleep 0.2; done'
                  % (int(seconds), url))
        return [subprocess.Popen([harness.SANDBOX_RUN, "--rm", "--label", fs.LABEL + "=load",
                                  harness.TOOLS_IMAGE, "sh", "-c", script], env=STACK.env(),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(SANDBOXES)]

    def measure(self, pid, listen_ports, upstream_ports):
        # Client sockets the engine has not yet noticed closing go away quickly.
        fs.wait_for(lambda: fd_breakdown(pid, listen_ports, upstream_ports)["clients"] == 0, 15, 0.5)
        b = fd_breakdown(pid, listen_ports, upstream_ports)
        b["mem_kib"] = fs.proc_stats(pid)[1]
        return b

    def test_concurrent_connections(self):
        pid = STACK.pid()
        listen_ports = {STACK.listen("http_listen")[1], STACK.listen("tunnel_listen")[1]}
        upstream_ports = {STACK.load.port, STACK.up_port}
        interval = max(1.0, CONNS / 200.0)  # about 200 requests/s in all
        baseline = self.measure(pid, listen_ports, upstream_ports)
        # Round 1 warms up (allocator arenas, pools, cert cache); round 2 must not grow.
        warm = self.round(CONNS, min(SECONDS, 5), interval)
        after1 = self.measure(pid, listen_ports, upstream_ports)
        boxes = self.sandboxes(SECONDS)
        t0 = time.time()
        main = self.round(CONNS, SECONDS, interval)
        elapsed = time.time() - t0
        box_out = []
        for p in boxes:
            out, err = p.communicate(timeout=SECONDS + 120)
            box_out.append((p.returncode, out, err))
        after2 = self.measure(pid, listen_ports, upstream_ports)
        box_lines = [line for _, out, _ in box_out for line in out.splitlines() if line.strip()]
        box_codes = [line.split()[0] for line in box_lines]
        print("  load: %d connections x %.0f s: %d requests ok (%.0f/s), %d errors, peak %d fds; "
              "sandboxes: %d requests, %d not 200"
              % (CONNS, elapsed, main["ok"], main["ok"] / elapsed, len(main["errors"]), main["peak"],
                 len(box_codes), sum(1 for c in box_codes if c != "200")))
        print("  fds/memory (RSS+swap) baseline %s, after warm-up %s, after load %s" % (baseline, after1, after2))
        self.assertEqual(warm["errors"], [])
        self.assertEqual(main["errors"][:20], [])
        self.assertGreaterEqual(main["peak"], CONNS, "the connections were not concurrent")
        for rc, out, err in box_out:
            self.assertEqual(rc, 0, err)
        self.assertTrue(box_codes)
        self.assertEqual([line for line in box_lines if not line.startswith("200")], [])
        # No leak: client sockets all closed, pooled upstream connections
        # bounded by the pool, other fds flat, RSS flat between rounds.
        self.assertEqual(after2["clients"], 0, after2)
        self.assertLessEqual(after2["upstream"], 256 + 8, after2)
        self.assertLessEqual(after2["other"], baseline["other"] + 4, (baseline, after2))
        slack = max(32 * 1024, after1["mem_kib"] // 4)
        self.assertLessEqual(after2["mem_kib"], after1["mem_kib"] + slack, (after1, after2))
        self.assertTrue(fs.wait_for(lambda: not fs.labelled("load"), 30))
        engine_alive_and_serving(self)


class MalformedClientTest(unittest.TestCase):
    CASES = {
        "garbage": b"\x00\xff\xfe garbage \x01\x02\r\n\r\n",
        "binary": bytes(range(256)) * 64,
        "no-version": b"GET /\r\n\r\n",
        "bad-version": b"GET http://%s/ HTTP/9.9\r\nHost: %s\r\n\r\n" % (LOAD_HOST.encode(), LOAD_HOST.encode()),
        "bad-method": b"G\x01T http://%s/ HTTP/1.1\r\nHost: x\r\n\r\n" % LOAD_HOST.encode(),
        "huge-request-line": b"GET http://%s/" % LOAD_HOST.encode() + b"a" * (1 << 20) + b" HTTP/1.1\r\n\r\n",
        "huge-header": b"GET http://%s/ HTTP/1.1\r\nHost: x\r\nX-Big: " % LOAD_HOST.encode()
                       + b"b" * (1 << 20) + b"\r\n\r\n",
        "many-headers": b"GET http://%s/ HTTP/1.1\r\n" % LOAD_HOST.encode()
                        + b"".join(b"X-H%d: v\r\n" % i for i in range(20000)) + b"\r\n",
        "truncated-head": b"GET http://%s/ HTTP/1.1\r\nHost: lo" % LOAD_HOST.encode(),
        "truncated-body": b"POST http://%s/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"
                          % LOAD_HOST.encode(),
        "bad-content-length": b"POST http://%s/ HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nabc"
                              % LOAD_HOST.encode(),
        "cl-and-te": b"POST http://%s/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" % LOAD_HOST.encode(),
        "bad-chunked": b"POST http://%s/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\nabc\r\n0\r\n\r\n" % LOAD_HOST.encode(),
        "connect-no-port": b"CONNECT %s HTTP/1.1\r\n\r\n" % LOAD_HOST.encode(),
        "connect-garbage-port": b"CONNECT %s:99999999 HTTP/1.1\r\n\r\n" % LOAD_HOST.encode(),
        "only-crlf": b"\r\n" * 10000,
    }

    def exchange(self, addr, payload, shut=True):
        """Sends payload (then half-closes); (answer bytes, seconds)."""
        t0 = time.time()
        with socket.create_connection(addr, timeout=IO_TIMEOUT) as s:
            try:
                s.sendall(payload)
                if shut:
                    s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the engine may refuse and close before it has it all
            data = recv_all(s)
        return data, time.time() - t0

    def check_answer(self, name, data, secs):
        self.assertLess(secs, IO_TIMEOUT - 1, "%s: no answer and no close (hang)" % name)
        status = status_of(data)
        self.assertTrue(status is None or status >= 400, "%s: answered %r" % (name, data[:120]))
        if data:
            self.assertIsNotNone(status, "%s: not an HTTP answer: %r" % (name, data[:120]))

    def test_malformed_requests_both_listeners(self):
        rows = []
        for listener in ("http_listen", "tunnel_listen"):
            addr = STACK.listen(listener)
            for name, payload in self.CASES.items():
                data, secs = self.exchange(addr, payload)
                self.check_answer("%s %s" % (listener, name), data, secs)
                rows.append("%s/%s=%s" % (listener.split("_")[0], name, status_of(data) or "closed"))
        print("  malformed requests: " + " ".join(rows))
        engine_alive_and_serving(self)

    def test_truncated_head_held_open_does_not_block_others(self):
        addr = STACK.listen("http_listen")
        held = [socket.create_connection(addr, timeout=IO_TIMEOUT) for _ in range(50)]
        try:
            for s in held:
                s.sendall(b"GET http://%s/ HTTP/1.1\r\nHost: lo" % LOAD_HOST.encode())
            status, body = plain_request(LOAD_HOST, STACK.load.port, "/meanwhile")
            self.assertEqual(status, 200, body)
        finally:
            for s in held:
                s.close()
        engine_alive_and_serving(self)

    def test_garbage_instead_of_tls_in_tunnel(self):
        addr = STACK.listen("tunnel_listen")
        for payload in (b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00\x05hello", bytes(range(256)) * 16):
            t0 = time.time()
            with socket.create_connection(addr, timeout=IO_TIMEOUT) as s:
                s.sendall(b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n"
                          % (LOAD_HOST.encode(), LOAD_HOST.encode()))
                engine_stack.fixtures.read_head(s)
                try:
                    s.sendall(payload)
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                recv_all(s)
            self.assertLess(time.time() - t0, IO_TIMEOUT - 1, "tunnel with %r hung" % payload[:20])
        engine_alive_and_serving(self)


class MalformedUpstreamTest(unittest.TestCase):
    def run_cases(self, request, port):
        rows = []
        for path in BAD:
            t0 = time.time()
            status, data = request(BAD_HOST, port, path)
            secs = time.time() - t0
            rows.append("%s=%s(%.1fs)" % (path[1:], status or "closed", secs))
            self.assertLess(secs, IO_TIMEOUT - 1, "%s: hang" % path)
            if path == "/good":
                self.assertEqual(status, 200, data[:200])
            elif path.startswith("/truncated-body") or path.startswith("/truncated-chunked") \
                    or path == "/chunk-too-long" or path == "/bad-chunked":
                # The response may have begun: then the body must end short.
                if status == 200:
                    self.assertNotIn(b"only-a-few-bytesXXXX", data)
                    head, _, body = data.partition(b"\r\n\r\n")
                    self.assertTrue(b"Content-Length: 1000" not in head or len(body) < 1000, data[:300])
                else:
                    self.assertTrue(status is None or status >= 500, (path, data[:200]))
            else:
                self.assertTrue(status is None or status >= 500,
                                "%s: answered %r" % (path, data[:200]))
        return rows

    def test_plain_upstream(self):
        rows = self.run_cases(plain_request, STACK.bad.port)
        print("  malformed plain upstream: " + " ".join(rows))
        engine_alive_and_serving(self)

    def test_tls_upstream(self):
        rows = self.run_cases(tls_request, STACK.bad_tls.port)
        print("  malformed TLS upstream: " + " ".join(rows))
        engine_alive_and_serving(self)


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
