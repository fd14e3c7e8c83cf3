#!/usr/bin/env python3
"""sandbox-run against Podman's Docker-compatible API (podman system service,
rootful, started on a private socket by scripts/podman-up.sh): the
differential suite without the cases that show a known Podman difference
(cases.PODMAN_DIFFERENCES), the --rm exit status Podman reports, and
`sandbox-egress setup` refusing a Podman endpoint by name.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
UP = os.path.join(harness.ROOT, "scripts", "podman-up.sh")
DIR = "/run/sandbox-run-podman-test-%d" % os.getpid()


class Podman(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = subprocess.run([UP, DIR], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError("scripts/podman-up.sh: " + r.stderr)
        cls.env = dict(os.environ, DOCKER_HOST=r.stdout.strip().split("=", 1)[1])

    @classmethod
    def tearDownClass(cls):
        subprocess.run([UP, "--down", DIR], capture_output=True)
        shutil.rmtree(DIR, ignore_errors=True)

    def test_differential_suite(self):
        env = dict(self.env, SR_DIFF_TARGET="podman")
        r = subprocess.run([sys.executable, os.path.join(HERE, "test_differential.py")], env=env,
                           capture_output=True, text=True, timeout=1200)
        tail = (r.stdout + r.stderr)[-4000:]
        print(tail.strip().splitlines()[-1], file=sys.stderr)
        self.assertEqual(r.returncode, 0, tail)

    def test_rm_exit_status_is_reported_as_0(self):
        # A Podman compat-API difference, documented and not copied: with
        # --rm both the Docker CLI and sandbox-run get status 0 from Podman.
        for cmd in (["docker", "run"], [harness.SANDBOX_RUN]):
            r = subprocess.run(cmd + ["--rm", "--pull", "never", harness.BUSYBOX_IMAGE, "sh", "-c", "exit 3"],
                               env=self.env, capture_output=True, timeout=120)
            self.assertEqual(r.returncode, 0, "%s: Podman now reports --rm statuses; update "
                             "docs/docker-run-compat.md" % cmd[0])

    def test_egress_setup_refuses_podman(self):
        home = tempfile.mkdtemp(prefix="sr-podman-egress-")
        try:
            r = subprocess.run([harness.SANDBOX_EGRESS, "setup"], env=dict(self.env, SANDBOX_RUN_HOME=home),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("the Docker endpoint is Podman", r.stderr)
            self.assertIn("host.containers.internal", r.stderr)
            self.assertEqual(os.listdir(home), [], "setup wrote state before refusing")
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    harness.require_docker()
    if shutil.which("podman") is None:
        if os.environ.get("SANDBOX_RUN_REQUIRE_DOCKER") == "1":
            print("FAIL: podman is not installed; run scripts/install-deps.sh --test", file=sys.stderr)
            sys.exit(1)
        print("SKIP: podman is not installed", file=sys.stderr)
        sys.exit(harness.SKIP)
    harness.main()
