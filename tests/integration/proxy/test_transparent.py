"""`sandbox-egress serve`'s interception listeners through the real binary:
the transparent HTTPS listener (proxy.https_listen: SNI is the authority),
origin-form requests on the forward listener (a redirected port-80
connection: Host is the authority), and the DNS responder (dns.listen).

The stand-in providers listen on port 443 / 80 of a loopback address of their
own (the engine dials SNI:443 and Host:80, resolved to them with --resolve),
so the tests run as root. With iptables present, one test redirects a
connection to another loopback address with a real nat rule and checks the
original destination in the audit line."""
import os
import random
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import fixtures  # noqa: E402
from engine_case import EngineCase  # noqa: E402

OPENAI_REAL = "sk-real-openai-5f1e0c2a9b8d7e6f"
OPENAI_TOKEN = "openai-" + "0123456789abcdef" * 2
ALLOW = ["api.openai.com", "echo.test", "*.wild.test"]
SECRET_RULES = [{"env": "OPENAI_API_KEY", "token": OPENAI_TOKEN, "headers": ["Authorization"],
                 "hosts": ["api.openai.com"]}]
HOSTS = ["api.openai.com", "echo.test", "a.wild.test"]


def dns_query(name, qtype, qid=0x1234):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def dns_parse(resp):
    """(id, rcode, [A addresses]) of a response to one question."""
    qid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", resp[:12])
    at = 12
    for _ in range(qd):
        while resp[at]:
            at += resp[at] + 1
        at += 5
    addrs = []
    for _ in range(an):
        at += 2  # a pointer to the question's name
        rtype, _, _, rdlen = struct.unpack(">HHIH", resp[at:at + 10])
        at += 10
        if rtype == 1:
            addrs.append(socket.inet_ntoa(resp[at:at + rdlen]))
        at += rdlen
    assert flags & 0x8000, "not a response"
    return qid, flags & 0xf, addrs


class TransparentTest(EngineCase):
    dir_prefix = "sr-transparent-test-"
    never_logged = (OPENAI_REAL, OPENAI_TOKEN)

    @classmethod
    def setUpClass(cls):
        # The stand-in's certificate also names the wildcard entry's host.
        fixtures.PROVIDER_HOSTS = fixtures.PROVIDER_HOSTS + ["a.wild.test"]
        super().setUpClass()
        cls.start_port_standins()
        cls.config = os.path.join(cls.dir, "proxy.yaml")
        cls.audit = os.path.join(cls.dir, "audit.log")
        fixtures.render_config(cls.config, cls.pki, ALLOW, SECRET_RULES, ["10.0.0.0/8"])
        env = fixtures.engine_env("mgmt-key-0123456789abcdef", cls.pki, OPENAI_API_KEY=OPENAI_REAL)
        cls.start_class_engine(cls.config, env, resolve=fixtures.resolve_all(HOSTS, (443, 80), cls.up_ip),
                               audit_log=cls.audit)

    def tls(self, sni, addr=None, timeout=10):
        """A TLS connection to the https listener with `sni` (None: no SNI)."""
        ctx = ssl.create_default_context(cafile=self.pki["engine_ca"])
        if sni is None:
            ctx.check_hostname = False
        raw = socket.create_connection(addr or self.engine.addr["https"], timeout=timeout)
        return ctx.wrap_socket(raw, server_hostname=sni)

    def request(self, sock, head):
        with sock:
            sock.sendall(head.encode())
            return fixtures.read_until(sock, None).decode("latin-1")

    # --- HTTPS, SNI as the authority ------------------------------------
    def test_sni_is_the_authority_and_the_token_is_swapped(self):
        self.upstream.recorder.clear()
        s = self.tls("api.openai.com")
        resp = self.request(s, "GET /v1/models HTTP/1.1\r\nHost: api.openai.com\r\n"
                               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % OPENAI_TOKEN)
        self.assertTrue(resp.startswith("HTTP/1.1 200"), resp)
        rec = self.upstream.recorder.last()
        self.assertEqual(rec["headers"]["authorization"], "Bearer " + OPENAI_REAL)
        self.assertEqual(rec["host"], "api.openai.com")
        line = self.wait_audit(lambda l: l["path"] == "/v1/models" and l["host"] == "api.openai.com")[-1]
        self.assertEqual(line["decision"], "allow")
        self.assertEqual(line["secrets_swapped"], ["OPENAI_API_KEY"])
        host, port = self.engine.addr["https"]
        self.assertEqual(line["original_dst"], "%s:%d" % (host, port))

    def test_curl_with_its_own_name_resolution(self):
        host, port = self.engine.addr["https"]
        r = subprocess.run(["curl", "-sS", "--cacert", self.pki["engine_ca"], "--max-time", "20",
                            "--connect-to", "api.openai.com:443:%s:%d" % (host, port),
                            "-H", "Authorization: Bearer " + OPENAI_TOKEN,
                            "https://api.openai.com/v1/chat/completions", "-d", "{}"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.upstream.recorder.last()["headers"]["authorization"],
                         "Bearer " + OPENAI_REAL)

    def test_host_must_name_the_sni_host(self):
        self.upstream.recorder.clear()
        s = self.tls("echo.test")
        resp = self.request(s, "GET / HTTP/1.1\r\nHost: api.openai.com\r\n"
                               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % OPENAI_TOKEN)
        self.assertTrue(resp.startswith("HTTP/1.1 403"), resp)
        self.assertIsNone(self.upstream.recorder.last())

    def test_token_not_sent_to_another_allowlisted_host(self):
        self.upstream.recorder.clear()
        s = self.tls("echo.test")
        resp = self.request(s, "GET / HTTP/1.1\r\nHost: echo.test\r\n"
                               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % OPENAI_TOKEN)
        self.assertTrue(resp.startswith("HTTP/1.1 403"), resp)
        self.assertIsNone(self.upstream.recorder.last())

    def test_no_sni_is_refused_and_audited(self):
        with self.assertRaises(ssl.SSLError) as e:
            self.tls(None)
        self.assertIn("UNRECOGNIZED_NAME", str(e.exception).upper())
        line = self.wait_audit(lambda l: l["reason"] == "no SNI in the ClientHello")[-1]
        self.assertEqual((line["method"], line["decision"], line["status"]), ("TLS", "reject", 0))
        self.assertIn("original_dst", line)

    def test_ip_literal_sni_is_refused_and_audited(self):
        # Python sends no SNI for an IP address; openssl s_client does when told.
        host, port = self.engine.addr["https"]
        r = subprocess.run(["openssl", "s_client", "-connect", "%s:%d" % (host, port),
                            "-servername", "192.0.2.7", "-CAfile", self.pki["engine_ca"]],
                           input="", capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unrecognized name", r.stdout + r.stderr)
        line = self.wait_audit(lambda l: l["reason"].startswith("SNI is an IP literal"))[-1]
        self.assertEqual((line["host"], line["decision"]), ("192.0.2.7", "reject"))

    def test_sni_not_on_the_allowlist_is_refused_before_any_leaf(self):
        with self.assertRaises(ssl.SSLError):
            self.tls("not-allowed.test")
        line = self.wait_audit(lambda l: l["host"] == "not-allowed.test")[-1]
        self.assertEqual((line["reason"], line["decision"]), ("host not on the allowlist", "reject"))

    def test_wildcard_entry(self):
        s = self.tls("a.wild.test")
        resp = self.request(s, "GET /w HTTP/1.1\r\nHost: a.wild.test\r\nConnection: close\r\n\r\n")
        self.assertTrue(resp.startswith("HTTP/1.1 200"), resp)

    def test_redirected_connection_records_the_original_destination(self):
        if shutil.which("iptables") is None:
            self.skipTest("iptables is not installed")
        # A nat rule like the egress firewall's, for this test's own address:
        # what the sandbox dialled goes to the audit line, not to the upstream.
        fake = "127.%d.%d.9" % (random.randint(40, 250), random.randint(1, 250))
        host, port = self.engine.addr["https"]
        rule = ["OUTPUT", "-t", "nat", "-p", "tcp", "-d", fake, "--dport", "443",
                "-j", "DNAT", "--to-destination", "%s:%d" % (host, port)]
        subprocess.run(["iptables", "-w", "-A"] + rule, check=True)
        try:
            self.upstream.recorder.clear()
            s = self.tls("api.openai.com", addr=(fake, 443))
            resp = self.request(s, "GET /orig HTTP/1.1\r\nHost: api.openai.com\r\n"
                                   "Connection: close\r\n\r\n")
        finally:
            subprocess.run(["iptables", "-w", "-D"] + rule, check=True)
        self.assertTrue(resp.startswith("HTTP/1.1 200"), resp)
        self.assertEqual(self.upstream.recorder.last()["path"], "/orig")
        line = self.wait_audit(lambda l: l["path"] == "/orig")[-1]
        self.assertEqual(line["original_dst"], fake + ":443")

    # --- plain HTTP, Host as the authority ------------------------------
    def test_origin_form_on_the_forward_listener_uses_host(self):
        self.plain.recorder.clear()
        s = socket.create_connection(self.engine.addr["http"], timeout=10)
        resp = self.request(s, "GET /p80?x=1 HTTP/1.1\r\nHost: echo.test\r\nConnection: close\r\n\r\n")
        self.assertTrue(resp.startswith("HTTP/1.1 200"), resp)
        rec = self.plain.recorder.last()
        self.assertEqual((rec["path"], rec["host"]), ("/p80?x=1", "echo.test"))

    def test_origin_form_host_not_on_the_allowlist(self):
        s = socket.create_connection(self.engine.addr["http"], timeout=10)
        resp = self.request(s, "GET / HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n")
        self.assertTrue(resp.startswith("HTTP/1.1 403"), resp)

    def test_origin_form_without_host_is_refused(self):
        s = socket.create_connection(self.engine.addr["http"], timeout=10)
        resp = self.request(s, "GET / HTTP/1.0\r\n\r\n")
        self.assertTrue(resp.startswith("HTTP/1.0 400"), resp)

    # --- DNS ------------------------------------------------------------
    def udp(self, query):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(query, self.engine.addr["dns"])
            return s.recv(1024)

    def test_dns_answers_allowlisted_names_with_the_proxy(self):
        for name in ("api.openai.com", "API.OpenAI.com", "x.wild.test", "a.b.wild.test"):
            self.assertEqual(dns_parse(self.udp(dns_query(name, 1, 77))), (77, 0, ["127.0.0.1"]), name)

    def test_dns_aaaa_is_empty(self):
        self.assertEqual(dns_parse(self.udp(dns_query("api.openai.com", 28))), (0x1234, 0, []))

    def test_dns_other_names_nxdomain(self):
        for name in ("example.com", "wild.test", "openai.com", "api.openai.com.evil.test"):
            self.assertEqual(dns_parse(self.udp(dns_query(name, 1)))[1:], (3, []), name)

    def test_dns_over_tcp(self):
        s = socket.create_connection(self.engine.addr["dns"], timeout=5)
        self.addCleanup(s.close)
        q = dns_query("echo.test", 1, 5)
        s.sendall(struct.pack(">H", len(q)) + q)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        self.assertEqual(dns_parse(data[2:]), (5, 0, ["127.0.0.1"]))

    def test_dns_garbage_gets_formerr_or_nothing(self):
        self.assertEqual(dns_parse(self.udp(struct.pack(">HHHHHH", 9, 0x0100, 2, 0, 0, 0)))[:2], (9, 1))


if __name__ == "__main__":
    unittest.main(verbosity=2)
