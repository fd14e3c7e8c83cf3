"""Fault injection around the Docker daemon (issue 7 section 3):

- SIGINT to `sandbox-run --rm` during the pull, during the create and while
  attached: it ends in bounded time and leaves no container behind;
- the daemon restarted while `sandbox-run` is attached: a clear error and a
  non-zero exit in bounded time, no hang.

The pull and create windows are made wide by SlowDocker, a relay in front of
the Docker socket that holds that one request. The restart uses a private
dockerd (faults_support.PrivateDockerd), so the daemon other tests use is
never touched; it is answering again at the end whatever happens.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_support as fs  # noqa: E402
from faults_support import harness  # noqa: E402

IMAGE = harness.BUSYBOX_IMAGE
REGISTRY = "127.0.0.1:5000"
PULL_IMAGE = REGISTRY + "/sandbox-run-test/faults-busybox:latest"
BOUND = 20  # seconds sandbox-run may take to end after the signal


def launcher_env(docker_host=None):
    home = tempfile.mkdtemp(prefix="sr-faults-home-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_EGRESS", "HTTP"))}
    env["SANDBOX_RUN_HOME"] = home  # no config: egress off
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    return env


def spawn(args, env):
    return subprocess.Popen([harness.SANDBOX_RUN, *args], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(p, timeout=BOUND):
    """(returncode, stdout, stderr, seconds); kills it and fails the test on a hang."""
    t0 = time.time()
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError("sandbox-run still running %d s after the fault; stderr: %s"
                             % (timeout, err))
    return p.returncode, out, err, time.time() - t0


def registry_up():
    r = subprocess.run(["curl", "-fsS", "--max-time", "3", "http://%s/v2/" % REGISTRY],
                       capture_output=True)
    return r.returncode == 0


class SigintTest(unittest.TestCase):
    def setUp(self):
        self.env = None
        self.relay = None
        self.value = "sigint-%d-%s" % (os.getpid(), self._testMethodName)

    def tearDown(self):
        if self.relay:
            self.relay.close()
        fs.remove_labelled(self.value)
        if self.env:
            shutil.rmtree(self.env["SANDBOX_RUN_HOME"], ignore_errors=True)

    def launch(self, hold, *args):
        self.relay = fs.SlowDocker(hold) if hold else None
        self.env = launcher_env(self.relay.host if self.relay else None)
        return spawn(["--rm", "--label", "%s=%s" % (fs.LABEL, self.value), *args], self.env)

    def assert_nothing_left(self):
        # The daemon's own --rm removal may still be finishing.
        left = fs.wait_for(lambda: not fs.labelled(self.value), 15)
        self.assertTrue(left, "containers left behind: %s" % fs.labelled(self.value))

    def test_during_pull(self):
        if not registry_up():
            if os.environ.get("SANDBOX_RUN_REQUIRE_DOCKER") == "1":
                self.fail("the test registry does not answer at %s (scripts/registry-up.sh)" % REGISTRY)
            self.skipTest("no registry at " + REGISTRY)
        r = fs.docker("tag", IMAGE, PULL_IMAGE)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = fs.docker("push", "-q", PULL_IMAGE)
        self.assertEqual(r.returncode, 0, r.stderr)
        fs.docker("rmi", PULL_IMAGE)  # the layers stay (the source tag): a pull must happen
        try:
            p = self.launch(r"^POST /[^ ]*images/create", PULL_IMAGE, "sleep", "30")
            self.assertTrue(self.relay.held.wait(30), "no pull request seen: %s" % self.relay.seen)
            p.send_signal(signal.SIGINT)
            rc, out, err, secs = finish(p)
            print("  SIGINT during pull: rc %s after %.1f s" % (rc, secs))
            self.assertNotEqual(rc, 0, err)
            # The first create found no image; none may follow the pull.
            seen = self.relay.seen
            pulled = next(i for i, line in enumerate(seen) if "images/create" in line)
            self.assertFalse(any("containers/create" in line for line in seen[pulled:]), seen)
            self.assert_nothing_left()
        finally:
            fs.docker("rmi", PULL_IMAGE)

    def _during_create(self, *opts, extra_signals=0):
        p = self.launch(r"^POST /[^ ]*containers/create", *opts, IMAGE, "sleep", "60")
        self.assertTrue(self.relay.held.wait(30), "no create request seen: %s" % self.relay.seen)
        p.send_signal(signal.SIGINT)
        time.sleep(0.3)
        self.relay.release()  # the daemon now creates the container
        if extra_signals:
            # Pending signals of one kind coalesce: the next ones once it runs.
            self.wait_running()
            time.sleep(0.5)
        for _ in range(extra_signals):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
            time.sleep(0.3)
        rc, out, err, secs = finish(p)
        print("  SIGINT during create %s: rc %s after %.1f s" % (" ".join(opts), rc, secs))
        self.assertNotEqual(rc, 0, err)
        self.assert_nothing_left()
        return rc, err

    def test_during_create_no_sig_proxy(self):
        rc, err = self._during_create("--sig-proxy=false")
        self.assertEqual(rc, -signal.SIGINT, err)

    def test_during_create_repeated(self):
        # The first SIGINT is forwarded to the container's PID 1 (which
        # ignores it); the third one makes sandbox-run give up and remove it.
        rc, err = self._during_create(extra_signals=2)
        self.assertIn("forcefully exiting", err)

    def wait_running(self):
        ok = fs.wait_for(lambda: fs.docker("ps", "-q", "--filter", "label=%s=%s" % (fs.LABEL, self.value),
                                           "--filter", "status=running").stdout.strip(), 30, 0.2)
        self.assertTrue(ok, "the container never ran")

    def _attached(self, *args):
        p = self.launch(None, *args)
        self.wait_running()
        time.sleep(0.5)
        return p

    def test_during_attach_container_exits_on_sigint(self):
        p = self._attached(IMAGE, "sh", "-c", "trap 'echo got-int; exit 130' INT; "
                           "echo ready; while :; do sleep 1; done")
        p.send_signal(signal.SIGINT)
        rc, out, err, secs = finish(p)
        print("  SIGINT while attached (trapped): rc %s after %.1f s" % (rc, secs))
        self.assertEqual(rc, 130, err)
        self.assertIn("got-int", out)
        self.assert_nothing_left()

    def test_during_attach_ignored_three_times(self):
        p = self._attached(IMAGE, "sleep", "60")
        for _ in range(3):
            p.send_signal(signal.SIGINT)
            time.sleep(0.3)
        rc, out, err, secs = finish(p)
        print("  3 x SIGINT while attached (ignored by PID 1): rc %s after %.1f s" % (rc, secs))
        self.assertIn("forcefully exiting", err)
        self.assertNotEqual(rc, 0)
        self.assert_nothing_left()

    def test_during_attach_no_sig_proxy(self):
        p = self._attached("--sig-proxy=false", IMAGE, "sleep", "60")
        p.send_signal(signal.SIGINT)
        rc, out, err, secs = finish(p)
        print("  SIGINT while attached --sig-proxy=false: rc %s after %.1f s" % (rc, secs))
        self.assertEqual(rc, -signal.SIGINT, err)
        self.assert_nothing_left()


class DockerdRestartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("starting a private dockerd needs root")
        cls.daemon = fs.PrivateDockerd(tempfile.mkdtemp(prefix="sr-faults-dockerd-"))
        cls.daemon.start_with_image(IMAGE)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.destroy()

    def restart_while_attached(self, kill):
        """kill: SIGKILL dockerd (a crash) instead of SIGTERM (a clean stop,
        which stops the containers first); then start it again."""
        env = launcher_env(self.daemon.host)
        value = "restart-%d-%s" % (os.getpid(), kill)
        try:
            p = spawn(["--rm", "--label", "%s=%s" % (fs.LABEL, value), IMAGE, "sleep", "60"], env)
            running = fs.wait_for(lambda: fs.docker("ps", "-q", "--filter", "label=%s=%s" % (fs.LABEL, value),
                                                    host=self.daemon.host).stdout.strip(), 30, 0.2)
            self.assertTrue(running, "the container never ran")
            time.sleep(0.5)
            t0 = time.time()
            try:
                self.daemon.stop(sig=signal.SIGKILL if kill else signal.SIGTERM)
                stopped = time.time() - t0
                if kill:
                    # The crash alone, then the restart: sandbox-run must not
                    # wait for the daemon to come back.
                    rc, out, err, _ = finish(p, timeout=60)
                    secs = time.time() - t0
                    self.daemon.recover_after_crash()
                else:
                    self.daemon.start()
            finally:
                if not self.daemon.ping():
                    self.daemon.recover_after_crash()
            if not kill:
                rc, out, err, _ = finish(p, timeout=60)
                secs = time.time() - t0
            print("  dockerd %s while attached: daemon down after %.1f s, sandbox-run rc %s "
                  "%.1f s after the restart began; stderr: %s"
                  % ("killed and restarted" if kill else "restarted", stopped, rc, secs, err.strip()))
            self.assertNotEqual(rc, 0, err)
            self.assertFalse(fs.crashed(rc), "sandbox-run crashed: rc %s %s" % (rc, err))
            self.assertTrue(self.daemon.ping(), "the private dockerd is not answering again")
            return rc, err
        finally:
            if not self.daemon.ping():
                self.daemon.recover_after_crash()
            fs.remove_labelled(value, host=self.daemon.host)
            shutil.rmtree(env["SANDBOX_RUN_HOME"], ignore_errors=True)

    def test_restart_while_attached(self):
        # A clean stop kills the container first (10 s stop timeout, then
        # SIGKILL): like `docker run`, sandbox-run exits with its status.
        rc, err = self.restart_while_attached(kill=False)
        self.assertTrue(rc == 137 or "sandbox-run: error:" in err, (rc, err))

    def test_crash_while_attached(self):
        rc, err = self.restart_while_attached(kill=True)
        self.assertEqual(rc, 125, err)
        self.assertIn("sandbox-run: error:", err)


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
