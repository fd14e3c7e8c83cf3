"""`sandbox-egress serve` lifecycle: deny CIDRs, reload (management API and
SIGHUP), bind failure, SIGTERM drain. Real engine, real HTTPS upstream."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import fixtures  # noqa: E402
from engine_case import EngineCase  # noqa: E402

REAL = "sk-real-lifecycle-1234567890"
TOKEN = "openai-" + "a1" * 16
MGMT_KEY = "mgmt-lifecycle-key-0f0e0d0c0b0a"
RULES = [{"env": "OPENAI_API_KEY", "token": TOKEN, "headers": ["Authorization"],
          "hosts": ["api.openai.com"]}]
NO_LOOPBACK_DENY = ["10.0.0.0/8", "169.254.0.0/16"]


class LifecycleTest(EngineCase):
    dir_prefix = "sr-proxy-life-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.upstream = cls.start_upstream(cls.pki)
        cls.up_port = cls.upstream.server_address[1]

    def env(self):
        return fixtures.engine_env(MGMT_KEY, self.pki, OPENAI_API_KEY=REAL)

    def start(self, name, allow, deny, **kw):
        config = os.path.join(self.dir, name + ".yaml")
        fixtures.render_config(config, self.pki, allow, RULES, deny, **kw)
        e = self.start_test_engine(config, self.env(), never_logged=(REAL, TOKEN, MGMT_KEY),
                                   resolve=fixtures.resolve_all(["api.openai.com", "echo.test"],
                                                                [self.up_port]))
        return e, config

    def curl(self, engine, host, path="/", *args):
        r = subprocess.run(["curl", "-sS", "-x", engine.url("tunnel"), "--cacert",
                            self.pki["engine_ca"], "-o", "-", "-w", "\n%{http_code} %{http_connect}",
                            "--max-time", "20", *args,
                            "https://%s:%d%s" % (host, self.up_port, path)],
                           capture_output=True, text=True, timeout=30)
        body, _, codes = r.stdout.rpartition("\n")
        # A refused CONNECT shows in http_connect, a response in http_code.
        return max(int(c) for c in (codes.split() or ["0"])), body

    def reload(self, engine, key):
        req = urllib.request.Request(engine.url("management") + "/v1/reload", method="POST",
                                     headers={"Authorization": "Bearer " + key})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_deny_cidr_refuses_loopback(self):
        e, _ = self.start("deny", ["api.openai.com"], ["127.0.0.0/8", "::1/128"])
        self.upstream.recorder.clear()
        code, body = self.curl(e, "api.openai.com", "/x",
                               "-H", "Authorization: Bearer " + TOKEN)
        self.assertEqual(code, 403, body)
        self.assertIn("deny CIDR 127.0.0.0/8", body)
        self.assertIsNone(self.upstream.recorder.last())

    def test_reload_good_bad_unauthorised_and_sighup(self):
        e, config = self.start("reload", ["api.openai.com"], NO_LOOPBACK_DENY)
        self.assertEqual(self.curl(e, "echo.test")[0], 403)
        # Unauthorised.
        self.assertEqual(self.reload(e, "wrong-key"), (401, {"error": "unauthorized"}))
        # Good reload: echo.test becomes allowed.
        fixtures.render_config(config, self.pki, ["api.openai.com", "echo.test"], RULES,
                               NO_LOOPBACK_DENY)
        self.assertEqual(self.reload(e, MGMT_KEY), (200, {"status": "ok"}))
        self.assertEqual(self.curl(e, "echo.test")[0], 200)
        # Bad reload: 422 with a reason, the running rules unchanged.
        with open(config, "a") as f:
            f.write("bogus_top_level_key: [\n")
        status, body = self.reload(e, MGMT_KEY)
        self.assertEqual(status, 422, body)
        self.assertIn("error", body)
        self.assertEqual(self.curl(e, "echo.test")[0], 200)
        code, body = self.curl(e, "api.openai.com", "/after-bad",
                               "-H", "Authorization: Bearer " + TOKEN)
        self.assertEqual(self.upstream.recorder.last()["headers"]["authorization"], "Bearer " + REAL)
        # SIGHUP reload: echo.test removed again.
        fixtures.render_config(config, self.pki, ["api.openai.com"], RULES, NO_LOOPBACK_DENY)
        e.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "reloaded" not in e.stderr().split("SIGHUP", 1)[-1] and time.time() < deadline:
            time.sleep(0.05)
        self.assertIsNone(e.proc.poll(), "SIGHUP must not kill the engine")
        self.assertEqual(self.curl(e, "echo.test")[0], 403)

    def test_bind_failure_exits_non_zero(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        config = os.path.join(self.dir, "busy.yaml")
        fixtures.render_config(config, self.pki, ["api.openai.com"], RULES, NO_LOOPBACK_DENY,
                               tunnel="127.0.0.1:%d" % port)
        start = time.time()
        r = subprocess.run([harness.SANDBOX_EGRESS, "serve", "--config", config],
                           env=self.env(), capture_output=True, text=True, timeout=20)
        busy.close()
        self.assertNotEqual(r.returncode, 0)
        self.assertLess(time.time() - start, 10)
        self.assertIn("127.0.0.1:%d" % port, r.stderr)
        self.assertIn("errno 98", r.stderr)

    def test_flag_errors_exit_2_with_usage(self):
        serve = [harness.SANDBOX_EGRESS, "serve"]
        cases = [([], "--config is required"),
                 (["--config"], "--config"),
                 (["--config", "x.yaml", "--bogus"], "--bogus"),
                 (["--config", "x.yaml", "extra"], "extra"),
                 (["--config", "x.yaml", "--threads", "0"], "invalid value for --threads: '0'"),
                 (["--config=x.yaml", "--threads=65"], "invalid value for --threads: '65'"),
                 (["--config", "x.yaml", "--upstream-idle", "1x"], "invalid value for --upstream-idle: '1x'"),
                 (["--config", "x.yaml", "--client-idle", "0s"], "invalid value for --client-idle: '0s'"),
                 (["--config", "x.yaml", "--resolve", "host-only"], "invalid value for --resolve: 'host-only'")]
        for args, needle in cases:
            r = subprocess.run(serve + args, env=self.env(), capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn("sandbox-egress serve: error: ", r.stderr, args)
            self.assertIn(needle, r.stderr, args)
            self.assertIn("Usage: sandbox-egress serve --config PATH", r.stderr, args)
        r = subprocess.run(serve + ["--help"], env=self.env(), capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0)
        self.assertIn("--websocket-idle DURATION", r.stdout)
        # Values are checked before the config is read; a good set of flags
        # (repeated single flags keep the last value) gets as far as the config.
        r = subprocess.run(serve + ["--config", os.path.join(self.dir, "absent.yaml"), "--threads", "1",
                                    "--threads=3", "--resolve", "a.test:443:127.0.0.1", "--resolve=b.test:80:[::1]",
                                    "--client-idle", "90s", "--max-connections", "10"],
                           env=self.env(), capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("absent.yaml", r.stderr)

    def test_invalid_config_exits_non_zero(self):
        config = os.path.join(self.dir, "invalid.yaml")
        with open(config, "w") as f:
            f.write("proxy:\n  tunnel_listen: [\n")
        r = subprocess.run([harness.SANDBOX_EGRESS, "serve", "--config", config],
                           env=self.env(), capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(config + ":", r.stderr)

    def test_sigterm_drains_in_flight_request(self):
        e, _ = self.start("drain", ["echo.test"], NO_LOOPBACK_DENY)
        result = {}

        def slow():
            result["r"] = self.curl(e, "echo.test", "/slow", "-H", "x-delay: 2")

        t = threading.Thread(target=slow)
        t.start()
        deadline = time.time() + 10
        while not any(r["path"] == "/slow" for r in self.upstream.recorder.requests):
            self.assertLess(time.time(), deadline)
            time.sleep(0.02)
        e.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # No longer accepting.
        with self.assertRaises(OSError):
            socket.create_connection(e.addr["tunnel"], timeout=2).close()
        t.join(20)
        self.assertEqual(result["r"][0], 200)
        self.assertEqual(e.proc.wait(15), 0)


if __name__ == "__main__":
    harness.main()
