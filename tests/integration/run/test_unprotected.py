"""sandbox-run without egress set up: a drop-in `docker run` (scripts see only
docker's output), a one-time note when stderr is a terminal,
sandbox.require_egress turning it into a refusal (125), and
--error-format json / SANDBOX_RUN_ERROR_FORMAT=json for sandbox-run's own
failures. Runs the locally built busybox image against the real daemon.
"""
import json
import os
import pty
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402

NOTE = "egress is not set up: this sandbox has unrestricted network access"


class Unprotected(unittest.TestCase):
    def setUp(self):
        harness.require_docker()
        self.home = tempfile.mkdtemp(prefix="sr-unprotected-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.env = dict(os.environ, SANDBOX_RUN_HOME=self.home)
        self.env.pop("SANDBOX_RUN_ERROR_FORMAT", None)

    def run_sr(self, *args, **env):
        return subprocess.run([harness.SANDBOX_RUN] + list(args), capture_output=True, text=True, timeout=120,
                              env=dict(self.env, **env))

    def test_script_sees_docker_output_only(self):
        r = self.run_sr("--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "sh", "-c", "echo hi; exit 7")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (7, "hi\n", ""))

    def test_terminal_gets_one_note(self):
        controller, tty = pty.openpty()
        try:
            p = subprocess.run([harness.SANDBOX_RUN, "--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "true"],
                               stdout=subprocess.PIPE, stderr=tty, env=self.env, timeout=120)
            os.close(tty)
            tty = None
            seen = b""
            while True:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            if tty is not None:
                os.close(tty)
            os.close(controller)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(seen.decode().count(NOTE), 1, seen)
        self.assertIn("sandbox-egress setup", seen.decode())

    def test_hints_false_silences_the_note(self):
        for var in ("SANDBOX_RUN_HINTS", "DOCKER_CLI_HINTS"):
            controller, tty = pty.openpty()
            try:
                p = subprocess.run([harness.SANDBOX_RUN, "--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "true"],
                                   stdout=subprocess.PIPE, stderr=tty, env=dict(self.env, **{var: "false"}),
                                   timeout=120)
            finally:
                os.close(tty)
            os.set_blocking(controller, False)
            try:
                seen = os.read(controller, 4096)
            except OSError:  # nothing written (BlockingIOError) or the pty is gone (EIO)
                seen = b""
            os.close(controller)
            self.assertEqual(p.returncode, 0)
            self.assertNotIn(NOTE, seen.decode(), var)

    def test_require_egress_refuses(self):
        with open(os.path.join(self.home, "config.yaml"), "w") as f:
            f.write("sandbox:\n  require_egress: true\n")
        r = self.run_sr("--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "true")
        self.assertEqual(r.returncode, 125)
        self.assertIn("sandbox-run: error: egress is not set up and sandbox.require_egress is true", r.stderr)
        r = self.run_sr("--error-format", "json", "--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "true")
        self.assertEqual(r.returncode, 125)
        err = json.loads(r.stderr)["error"]
        self.assertEqual(err["kind"], "egress_refused")
        self.assertIn("sandbox-egress setup", err["fix"])
        self.assertEqual(r.stdout, "")

    def test_json_kinds(self):
        r = self.run_sr("--no-such-flag", harness.BUSYBOX_IMAGE, SANDBOX_RUN_ERROR_FORMAT="json")
        self.assertEqual(r.returncode, 125)
        self.assertEqual(json.loads(r.stderr)["error"]["kind"], "usage")
        r = self.run_sr("--error-format=json", "--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "true",
                        DOCKER_HOST="unix://" + os.path.join(self.home, "no-docker.sock"))
        self.assertEqual(r.returncode, 125)
        err = json.loads(r.stderr.strip().splitlines()[-1])["error"]
        self.assertEqual(err["kind"], "docker_unreachable", r.stderr)
        # The text format stays docker's.
        r = self.run_sr("--no-such-flag", harness.BUSYBOX_IMAGE)
        self.assertTrue(r.stderr.startswith("sandbox-run: error: "), r.stderr)


if __name__ == "__main__":
    harness.main()
