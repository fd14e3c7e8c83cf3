"""sandbox-egress allow / deny / secrets / config get|set against a real
built-in engine (`sandbox-egress serve`) started by `sandbox-egress start`.

What the upstream received is asserted: a plain-HTTP forward request to a
local server under the name `localhost` is refused (403) until `allow
localhost`, then reaches the server; a keep-alive client connection opened
before another policy change still carries requests after the reload.

Tunnel ports 19530-19559 (this suite's range; a home uses port..port+4).
"""
import http.server
import os
import socket
import threading

from daemon_support import DaemonTestCase, reserve_ports
import harness
from egress_stack import fixtures  # noqa: E402  (tests/integration/proxy/fixtures.py)

reserve_ports(19530, 19559)


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def do_GET(self):
        Upstream.seen.append((self.path, self.headers.get("Authorization")))
        body = b"upstream-ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def get_via(sock, port, path):
    """One request on an open client connection to the plain-HTTP listener."""
    sock.sendall(("GET http://localhost:%d%s HTTP/1.1\r\nHost: localhost:%d\r\n\r\n" % (port, path, port)).encode())
    status, _, body = fixtures.read_response(sock)
    return status, body


class PolicyCommands(DaemonTestCase):
    def setUp(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.shutdown)
        Upstream.seen.clear()
        # The upstream is on loopback: the deny list must not refuse it.
        self.home = self.make_home(engine="builtin", extra_config="  upstream_deny_cidrs: []\n")

    def config_text(self):
        return open(os.path.join(self.home.home, "config.yaml")).read()

    def test_allow_deny_reload_keeps_connections(self):
        home, up = self.home, self.server.server_address[1]
        with open(os.path.join(home.home, "config.yaml"), "a") as f:
            f.write("# my note\nunknown_section: {kept: yes}\n")
        self.assertEqual(home.egress("start").returncode, 0)
        pid = home.pid()
        client = socket.create_connection(("127.0.0.1", home.port + 1), timeout=5)
        self.addCleanup(client.close)
        status, _ = get_via(client, up, "/before")
        self.assertEqual(status, 403)
        self.assertEqual(Upstream.seen, [])

        r = home.egress("allow", "localhost")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("reloaded the new rules", r.stdout)
        self.assertEqual(home.pid(), pid)
        self.assertIn("extra_allowed_hosts:\n    - localhost", self.config_text())
        self.assertIn("# my note\nunknown_section: {kept: yes}\n", self.config_text())
        self.assertIn("- localhost", open(home.path("proxy.yaml")).read())

        client = socket.create_connection(("127.0.0.1", home.port + 1), timeout=5)
        self.addCleanup(client.close)
        self.assertEqual(get_via(client, up, "/one"), (200, b"upstream-ok"))
        # Another change reloads the engine; the open connection carries on.
        r = home.egress("allow", "--preset", "pypi")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("presets:\n    - pypi", self.config_text())
        self.assertIn("files.pythonhosted.org", open(home.path("proxy.yaml")).read())
        self.assertEqual(get_via(client, up, "/two"), (200, b"upstream-ok"))
        self.assertEqual([p for p, _ in Upstream.seen], ["/one", "/two"])

        r = home.egress("deny", "localhost")
        self.assertEqual(r.returncode, 0, r.stderr)
        fresh = socket.create_connection(("127.0.0.1", home.port + 1), timeout=5)
        self.addCleanup(fresh.close)
        self.assertEqual(get_via(fresh, up, "/after")[0], 403)
        self.assertEqual([p for p, _ in Upstream.seen], ["/one", "/two"])
        self.assertEqual(home.pid(), pid)

        r = home.egress("deny", "api.openai.com")
        self.assertEqual(r.returncode, 1)
        self.assertIn("default allowlist", r.stderr)
        r = home.egress("allow", "--preset", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown preset 'nope'", r.stderr)
        r = home.egress("allow", "https://x.example/")
        self.assertEqual(r.returncode, 2)
        home.egress("stop")

    def test_secrets_add_rm_and_config_get_set(self):
        home = self.home
        r = home.egress("secrets", "add", "CORP_TOKEN", "--host", "api.corp.example", "--carrier", "header",
                        "--header", "X-Corp-Key", CORP_TOKEN="corp-real-value")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("new proxy token for CORP_TOKEN", r.stdout)
        self.assertIn("CORP_TOKEN:\n    hosts:\n      - api.corp.example", self.config_text())
        proxy_yaml = open(home.path("proxy.yaml")).read()
        self.assertIn("var: CORP_TOKEN", proxy_yaml)
        self.assertIn("X-Corp-Key", proxy_yaml)
        self.assertNotIn("corp-real-value", proxy_yaml)
        listed = home.egress("secrets", "list", "--json", CORP_TOKEN="corp-real-value")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn('"env": "CORP_TOKEN"', listed.stdout)
        self.assertNotIn("corp-real-value", listed.stdout)
        # Two credentials on one header and host are refused; the file stays.
        before = self.config_text()
        r = home.egress("secrets", "add", "OTHER_TOKEN", "--host", "api.corp.example", "--carrier", "header",
                        "--header", "x-corp-key")
        self.assertEqual(r.returncode, 1)
        self.assertIn("already claims header", r.stderr)
        self.assertEqual(self.config_text(), before)
        r = home.egress("secrets", "rm", "CORP_TOKEN")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dropped CORP_TOKEN", r.stdout)
        self.assertNotIn("CORP_TOKEN", open(home.path("proxy.yaml")).read())
        self.assertNotIn("CORP_TOKEN", open(home.path("mappings.json")).read())

        self.assertEqual(home.egress("config", "get", "sandbox.require_egress").stdout, "false\n")
        r = home.egress("config", "set", "sandbox.require_egress", "true")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(home.egress("config", "get", "sandbox.require_egress").stdout, "true\n")
        self.assertEqual(home.egress("config", "get", "proxy.tunnel_port").stdout, "%d\n" % home.port)
        r = home.egress("config", "set", "proxy.engine", "nonsense")
        self.assertEqual(r.returncode, 1)
        self.assertIn("proxy.engine: expected one of", r.stderr)
        r = home.egress("config", "get", "proxy.nonsense")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown setting", r.stderr)
        r = home.egress("config")
        self.assertEqual(r.stdout.strip(), home.path("proxy.yaml"))

    def test_symlinked_config_is_refused(self):
        home = self.home
        cfg = os.path.join(home.home, "config.yaml")
        real = os.path.join(home.root, "real.yaml")
        os.rename(cfg, real)
        os.symlink(real, cfg)
        before = open(real).read()
        r = home.egress("allow", "x.example")
        self.assertEqual(r.returncode, 1)
        self.assertIn("symbolic link", r.stderr)
        self.assertEqual(open(real).read(), before)


if __name__ == "__main__":
    harness.main()
