"""Tests of examples/python/sandbox_client.py against the real binaries
($SR_BIN_DIR) and the real daemon, with the locally built test images
(--pull never). Egress is off (an empty SANDBOX_RUN_HOME) except in
WithEgress, which sets up the built-in engine in a temporary home with the
integration tests' stack (tests/integration/support/egress_stack.py).

Run: SR_BIN_DIR=build/bin python3 examples/python/test_sandbox_client.py
"""
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "support"))
import harness  # noqa: E402
from sandbox_client import (CommandNotExecutable, CommandNotFound, EgressNotReady,  # noqa: E402
                            LauncherError, SandboxClient, SandboxRefused)

BUSYBOX = harness.BUSYBOX_IMAGE
TOOLS = harness.TOOLS_IMAGE
TUNNEL_PORT = 19660  # +1, +2; apart from the integration suites (19290-19649) and the demo (19700)


class EgressOff(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="sr-example-py-")
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        env = harness.home_env(self.home, self.root)
        self.client = SandboxClient(harness.SANDBOX_RUN, harness.SANDBOX_EGRESS, env)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def test_preflight_reports_egress_off(self):
        status = self.client.preflight(require_egress=False)
        self.assertFalse(status["enabled"])
        with self.assertRaises(EgressNotReady) as cm:
            self.client.preflight()
        self.assertIn("egress is disabled", str(cm.exception))

    def test_streams_output_and_returns_the_container_status(self):
        seen = []
        result = self.client.run(BUSYBOX, ["sh", "-c", "echo one; echo two >&2; echo three; exit 3"],
                                 timeout=60, on_output=lambda s, line: seen.append((s, line)))
        self.assertEqual((result.outcome, result.exit_code, result.egress), ("exited", 3, "disabled"))
        self.assertEqual([x for x in seen if x[0] == "stdout"], [("stdout", "one\n"), ("stdout", "three\n")])
        self.assertIn(("stderr", "two\n"), seen)
        self.assertFalse(self.client.docker.exists(result.container), "--rm left the container")

    def test_126_127_125(self):
        with self.assertRaises(CommandNotFound) as cm:
            self.client.run(BUSYBOX, ["/no/such/tool"], timeout=60)
        self.assertEqual(cm.exception.status, 127)
        with self.assertRaises(CommandNotExecutable) as cm:
            self.client.run(BUSYBOX, ["/etc/passwd"], timeout=60)
        self.assertEqual(cm.exception.status, 126)
        with self.assertRaises(LauncherError) as cm:
            self.client.run("sandbox-run-test/no-such-image:latest", ["true"], timeout=60)
        self.assertEqual(cm.exception.status, 125)
        self.assertNotIsInstance(cm.exception, SandboxRefused)
        self.assertIn("no-such-image", str(cm.exception))

    def test_refusal_before_anything_is_created(self):
        with open(os.path.join(self.home, "config.yaml"), "w") as f:
            f.write("proxy:\n  enabled: true\n")
        with self.assertRaises(SandboxRefused) as cm:
            self.client.run(BUSYBOX, ["true"], timeout=60)
        self.assertIn("not set up", str(cm.exception))

    def test_timeout_kills_and_removes_the_container(self):
        start = time.monotonic()
        # sh as PID 1 ignores SIGTERM: only a kill stops it.
        result = self.client.run(BUSYBOX, ["sh", "-c", "echo started; sleep 300"], timeout=3)
        self.assertEqual((result.outcome, result.exit_code), ("timeout", None))
        self.assertLess(time.monotonic() - start, 30)
        self.assertFalse(self.client.docker.exists(result.container))

    def test_cancel_after_first_output(self):
        cancel = threading.Event()

        def on_output(stream, line):
            if line == "ready\n":
                cancel.set()
        result = self.client.run(BUSYBOX, ["sh", "-c", "echo ready; sleep 300"], timeout=120,
                                 on_output=on_output, cancel=cancel)
        self.assertEqual(result.outcome, "cancelled")
        self.assertFalse(self.client.docker.exists(result.container))


class WithEgress(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import egress_stack
        cls.keys = egress_stack.KEYS
        cls.s = egress_stack.Stack(TUNNEL_PORT, isolation="bridge")
        try:
            cls.s.setup_and_start()
        except Exception:
            cls.s.cleanup()
            raise
        cls.client = SandboxClient(harness.SANDBOX_RUN, harness.SANDBOX_EGRESS, cls.s.env())

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_preflight_then_a_proxied_request(self):
        status = self.client.preflight()
        self.assertTrue(status["daemon"]["listening"])
        self.s.upstream.recorder.clear()
        out = []
        url = self.s.url("api.openai.com", "/v1/models")
        result = self.client.run(TOOLS, ["sh", "-c", 'curl -sS -f -o /dev/null -w "%%{http_code}\\n" %s '
                                         '-H "Authorization: Bearer $OPENAI_API_KEY"' % url],
                                 timeout=120, on_output=lambda s, line: out.append(line))
        self.assertEqual((result.exit_code, result.egress), (0, "applied"), "".join(out))
        self.assertIn("200\n", out)
        got = self.s.upstream.recorder.last()["headers"]["authorization"]
        self.assertEqual(got, "Bearer " + self.keys["OPENAI_API_KEY"])

    def test_a_real_key_passed_in_is_refused(self):
        # A backend that holds the real key (as the one that ran setup does):
        # sandbox-run knows the value and refuses it under any name.
        client = SandboxClient(harness.SANDBOX_RUN, harness.SANDBOX_EGRESS, self.s.env(self.keys))
        with self.assertRaises(SandboxRefused) as cm:
            client.run(BUSYBOX, ["true"], docker_args=["-e", "LEAK=" + self.keys["OPENAI_API_KEY"]])
        self.assertIn("real credential", str(cm.exception))
        self.assertNotIn(self.keys["OPENAI_API_KEY"], str(cm.exception))


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
