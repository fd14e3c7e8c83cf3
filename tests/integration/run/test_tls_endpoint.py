#!/usr/bin/env python3
"""sandbox-run against a TLS Docker endpoint (DOCKER_HOST=tcp://…,
DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): the libcurl transport, including the
hijacked attach stream (upgrade head parsed by Beast, raw I/O through
curl_easy_send/recv).

No TLS-enabled dockerd is needed: a relay on 127.0.0.1 terminates mutual TLS
(a test CA made with the openssl CLI, a server certificate for 127.0.0.1 and
a client certificate, as `dockerd --tlsverify` would require) and forwards
each connection to the real daemon's unix socket.
"""
import os
import selectors
import socket
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402

LABEL = "sr-tls-test=%d-%d" % (os.getpid(), int(time.time()))


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    """ca.pem, server-{cert,key}.pem (IP:127.0.0.1) and the client's cert.pem/key.pem."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sr-test-docker-ca", cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + "-key.pem", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + "-cert.pem", cwd=d)
    shutil.copy(os.path.join(d, "client-cert.pem"), os.path.join(d, "cert.pem"))
    shutil.copy(os.path.join(d, "client-key.pem"), os.path.join(d, "key.pem"))


class TlsRelay:
    """127.0.0.1:<port> (mutual TLS) -> the daemon's unix socket, byte for byte.

    One thread per connection, and only that thread touches its SSL object
    (OpenSSL objects must not be read and written from two threads at once).
    Like dockerd (Go's crypto/tls), a TCP EOF from the client at a record
    boundary ends the client's input only (the container's stdin closes)
    while output keeps flowing; the daemon's end of the stream closes the TLS
    connection with close_notify.
    """

    def __init__(self, pki, unix_path):
        self.unix_path = unix_path
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(pki, "server-cert.pem"), os.path.join(pki, "server-key.pem"))
        self.ctx.load_verify_locations(os.path.join(pki, "ca.pem"))
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.ctx.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        harness.accept_forever(self.listener, self._serve)

    def _serve(self, raw, _peer):
        raw.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        up = socket.socket(socket.AF_UNIX)
        up.connect(self.unix_path)
        tls.setblocking(False)
        up.setblocking(False)
        to_up, to_client = bytearray(), bytearray()
        client_eof = up_eof = up_shut = False
        sel = selectors.DefaultSelector()
        try:
            while not (up_eof and not to_client):
                if client_eof and not to_up and not up_shut:
                    up.shutdown(socket.SHUT_WR)
                    up_shut = True
                for sock, want in ((tls, events(not client_eof, to_client)), (up, events(not up_eof, to_up))):
                    if sock in sel.get_map():
                        sel.unregister(sock)
                    if want:
                        sel.register(sock, want)
                ready = {key.fileobj: ev for key, ev in sel.select(0 if tls.pending() else 60)}
                if not ready and not tls.pending():
                    break  # 60 s without traffic: give up on this connection
                if not client_eof and (tls.pending() or ready.get(tls, 0) & selectors.EVENT_READ):
                    try:
                        data = tls.recv(65536)
                        to_up += data
                        client_eof = not data
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        pass
                    except (ssl.SSLError, OSError):
                        client_eof = True
                if to_client and ready.get(tls, 0) & selectors.EVENT_WRITE:
                    try:
                        del to_client[:tls.send(to_client)]
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        pass
                if not up_eof and ready.get(up, 0) & selectors.EVENT_READ:
                    data = up.recv(65536)
                    to_client += data
                    up_eof = not data
                if to_up and ready.get(up, 0) & selectors.EVENT_WRITE:
                    del to_up[:up.send(to_up)]
            tls.setblocking(True)
            tls.settimeout(5)
            tls.unwrap()  # close_notify
        except (ssl.SSLError, OSError):
            pass
        finally:
            sel.close()
            tls.close()
            up.close()

    def close(self):
        self.listener.close()


def events(read, pending_write):
    return (selectors.EVENT_READ if read else 0) | (selectors.EVENT_WRITE if pending_write else 0)


class TlsEndpointTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_docker()
        cls.unix_path = harness.docker_socket()
        if cls.unix_path is None:
            raise unittest.SkipTest("DOCKER_HOST is not a unix socket")
        cls.pki = tempfile.mkdtemp(prefix="sr-tls-pki.")
        make_pki(cls.pki)
        cls.relay = TlsRelay(cls.pki, cls.unix_path)

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()
        shutil.rmtree(cls.pki, ignore_errors=True)
        ids = harness.run(["docker", "ps", "-aq", "--filter", "label=" + LABEL]).stdout.split()
        if ids:
            harness.run(["docker", "rm", "-f", *ids])

    def env(self, **extra):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "DOCKER_HOST": "tcp://127.0.0.1:%d" % self.relay.port,
               "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": self.pki}
        env.update(extra)
        return env

    def sandbox_run(self, *args, stdin=None, env=None):
        return harness.run([harness.SANDBOX_RUN, "--label", LABEL, *args], input=stdin,
                           env=env or self.env(), timeout=90)

    def test_output_streams_and_exit_code(self):
        r = self.sandbox_run("--rm", "--pull", "never", harness.BUSYBOX_IMAGE,
                             "sh", "-c", "echo out; echo err >&2; exit 3")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertEqual(r.stdout, b"out\n")
        self.assertEqual(r.stderr, b"err\n")

    def test_stdin_round_trip_and_large_output(self):
        data = os.urandom(96 * 1024).hex().encode()  # 192 KiB: many frames both ways
        r = self.sandbox_run("--rm", "-i", "--pull", "never", harness.BUSYBOX_IMAGE, "cat", stdin=data)
        self.assertEqual(r.returncode, 0, r.stderr[-500:])
        self.assertEqual(len(r.stdout), len(data))
        self.assertEqual(r.stdout, data)

    def test_detached_prints_id(self):
        r = self.sandbox_run("-d", "--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "true")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode().strip(), r"^[0-9a-f]{64}$")

    def test_untrusted_server_refused(self):
        # A CA that did not sign the relay's certificate: no request may go through.
        other = tempfile.mkdtemp(prefix="sr-tls-other.")
        try:
            make_pki(other)
            r = self.sandbox_run("--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "true",
                                 env=self.env(DOCKER_CERT_PATH=other))
            self.assertEqual(r.returncode, 125, r.stderr)
            self.assertIn(b"127.0.0.1:%d" % self.relay.port, r.stderr)
        finally:
            shutil.rmtree(other, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
