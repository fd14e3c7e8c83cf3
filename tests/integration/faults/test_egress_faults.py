"""Fault injection around the egress daemon (issue 7 section 3):

- `kill -9` of the daemon during a stream of requests from a sandbox: the
  requests fail at once (no hang), the next launch refuses with 125 naming
  the fix, `sandbox-egress start` recovers and launches work again;
- 50 concurrent `sandbox-run` launches with egress on: each gets its own exit
  code and output, no container is left, the daemon is healthy afterwards;
- the state directory on a tiny tmpfs: `sandbox-egress setup` fails with a
  clear error and leaves no temporary or truncated file, at every size where
  it runs out of space; with room again it succeeds.

Each case has its own SANDBOX_RUN_HOME and tunnel port (19400-19449) and uses
isolation: bridge, so it shares no network or firewall chain with other runs.
"""
import concurrent.futures
import json
import os
import re
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
import egress_stack  # noqa: E402
from egress_stack import KEYS  # noqa: E402

TOOLS = harness.TOOLS_IMAGE
BUSYBOX = harness.BUSYBOX_IMAGE
CONCURRENT = int(os.environ.get("SR_FAULTS_CONCURRENT", "50"))


def daemon_pid(stack):
    with open(os.path.join(stack.home, "egress", "daemon.pid")) as f:
        return int(f.read().split()[0])


class KillDaemonTest(unittest.TestCase):
    def test_kill_9_during_requests(self):
        s = egress_stack.Stack(fs.PORTS["kill"], isolation="bridge")
        value = "kill-%d" % os.getpid()
        try:
            s.upstream.handle_error = lambda *a: None  # the cut connections are expected
            s.setup_and_start()
            pid = daemon_pid(s)
            url = s.url("api.openai.com", "/slow")
            # One request after another (each held 0.3 s by the upstream), each
            # line "code seconds"; ends after 5 failures in a row. -m 60 only
            # bounds a hang, which the timings below would show.
            script = ('fails=0; i=0; while [ $fails -lt 5 ] && [ $i -lt 400 ]; do i=$((i+1)); '
                      'out=$(curl -sS -m 60 -o /dev/null -w "%%{http_code} %%{time_total}" '
                      '-H "Authorization: Bearer $OPENAI_API_KEY" -H "x-delay: 0.3" "%s" 2>/dev/null); '
                      'echo "$out"; case "$out" in 200*) fails=0;; *) fails=$((fails+1));; esac; done; '
                      'sleep 3; echo done' % url)  # the launcher checks the daemon every 2 s
            p = subprocess.Popen([harness.SANDBOX_RUN, "--rm", "--label", "%s=%s" % (fs.LABEL, value),
                                  TOOLS, "sh", "-c", script], env=s.env(), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            ok = fs.wait_for(lambda: len(s.upstream.recorder.requests) >= 5, 60)
            self.assertTrue(ok, "no request reached the upstream")
            time.sleep(0.15)  # mid-request
            t_kill = time.time()
            os.kill(pid, signal.SIGKILL)
            out, err = p.communicate(timeout=120)
            ended = time.time() - t_kill
            lines = [line.split() for line in out.splitlines() if line and line != "done"]
            codes = [line[0] for line in lines]
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("done", out)
            self.assertIn("200", codes)
            first_fail = next(i for i, c in enumerate(codes) if c != "200")
            failed = lines[first_fail:]
            self.assertTrue(all(c != "200" for c, _ in failed), out)
            slowest = max(float(t) for _, t in failed)
            print("  kill -9: %d requests ok, then %d failed (slowest failure %.2f s); "
                  "sandbox ended %.1f s after the kill" % (first_fail, len(failed), slowest, ended))
            self.assertLess(slowest, 5.0, "a request hung after the daemon died: " + out)
            self.assertEqual(err.count("egress daemon stopped"), 1, err)
            self.assertFalse(fs.labelled(value))

            # The next launch refuses, naming the fix; nothing is created.
            r = s.run("--rm", "--label", "%s=%s" % (fs.LABEL, value), BUSYBOX, "true")
            self.assertEqual(r.returncode, 125, r.stderr)
            self.assertIn("sandbox-egress start", r.stderr)
            self.assertFalse(fs.labelled(value))

            # start recovers (the stale pidfile of the killed daemon is handled).
            r = s.egress("start", env=s.engine_env())
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotEqual(daemon_pid(s), pid)
            r = s.run("--rm", TOOLS, "sh", "-c", 'curl -sS -f -o /dev/null -w "%%{http_code}" "%s" '
                      '-H "Authorization: Bearer $OPENAI_API_KEY"' % s.url("api.openai.com", "/v1/after"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, "200")
        finally:
            fs.remove_labelled(value)
            s.cleanup()


class ConcurrentLaunchTest(unittest.TestCase):
    def test_concurrent_launches(self):
        s = egress_stack.Stack(fs.PORTS["concurrent"], isolation="bridge")
        value = "concurrent-%d" % os.getpid()
        try:
            s.setup_and_start()
            pid = daemon_pid(s)
            url = s.url("api.openai.com", "/v1/concurrent")

            def one(i):
                if i % 5 == 0:  # every fifth goes through the proxy
                    script = ('code=$(curl -sS -o /dev/null -w "%%{http_code}" "%s?i=%d" '
                              '-H "Authorization: Bearer $OPENAI_API_KEY"); echo "out-%d $code"; exit %d'
                              % (url, i, i, i % 7))
                    image = TOOLS
                else:
                    script = 'echo "out-%d ${HTTPS_PROXY:+proxied}"; exit %d' % (i, i % 7)
                    image = BUSYBOX
                t0 = time.time()
                r = s.run("--rm", "--label", "%s=%s" % (fs.LABEL, value), image, "sh", "-c", script,
                          timeout=300)
                return i, r, time.time() - t0

            t0 = time.time()
            with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
                results = list(pool.map(one, range(CONCURRENT)))
            wall = time.time() - t0
            bad = []
            for i, r, _ in results:
                want = "out-%d %s" % (i, "200" if i % 5 == 0 else "proxied")
                if r.returncode != i % 7 or r.stdout.strip() != want:
                    bad.append((i, r.returncode, r.stdout, r.stderr[-300:]))
            print("  %d concurrent launches: %.1f s wall, slowest %.1f s"
                  % (CONCURRENT, wall, max(t for _, _, t in results)))
            self.assertEqual(bad, [])
            self.assertTrue(fs.wait_for(lambda: not fs.labelled(value), 30),
                            "containers left: %s" % fs.labelled(value))
            # The daemon is the same process and still serves.
            self.assertEqual(daemon_pid(s), pid)
            os.kill(pid, 0)
            r = s.egress("status", "--json")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = s.run("--rm", TOOLS, "sh", "-c", 'curl -sS -f -o /dev/null -w "%%{http_code}" "%s" '
                      '-H "Authorization: Bearer $OPENAI_API_KEY"' % url)
            self.assertEqual(r.stdout, "200", r.stderr)
        finally:
            fs.remove_labelled(value)
            s.cleanup()


TEMP_RE = re.compile(r"\.tmp|~$|\.swp$")


class TinyStateDirTest(unittest.TestCase):
    """setup writes ca.key, ca.crt, mappings.json, management.token and
    proxy.yaml into $SANDBOX_RUN_HOME/egress; that directory is a tmpfs too
    small for all of them, at several sizes so each write in turn is the one
    that runs out of space."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        self.root = tempfile.mkdtemp(prefix="sr-faults-tmpfs-")
        self.home = os.path.join(self.root, "home")
        self.state = os.path.join(self.home, "egress")
        os.makedirs(self.state, mode=0o700)
        with open(os.path.join(self.home, "config.yaml"), "w") as f:
            f.write("proxy:\n  isolation: bridge\n  tunnel_port: %d\n" % fs.PORTS["tmpfs"])
        self.mounted = False

    def tearDown(self):
        if self.mounted:
            subprocess.run(["umount", self.state])
        harness.egress_disable(self.home, self.env())
        shutil.rmtree(self.root, ignore_errors=True)

    def env(self):
        return harness.home_env(self.home, self.root, KEYS, egress_stack.PROVIDER_PREFIXES)

    def setup_cmd(self):
        return subprocess.run([harness.SANDBOX_EGRESS, "setup"], env=self.env(), capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    def mount(self, size):
        if self.mounted:
            subprocess.run(["umount", self.state], check=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "sr-faults", self.state],
                       check=True)
        self.mounted = True

    def check_files(self, label):
        """No temp file, and every file present is whole."""
        names = sorted(os.listdir(self.state))
        self.assertEqual([n for n in names if TEMP_RE.search(n) or n.startswith(".")], [], (label, names))
        for name in names:
            path = os.path.join(self.state, name)
            with open(path, "rb") as f:
                data = f.read()
            self.assertTrue(data, "%s: %s is empty" % (label, name))
            if name == "mappings.json":
                json.loads(data)
            elif name in ("ca.crt", "ca.key"):
                kind = "x509" if name == "ca.crt" else "pkey"
                r = subprocess.run(["openssl", kind, "-in", path, "-noout"], capture_output=True)
                self.assertEqual(r.returncode, 0, "%s: %s is not a whole PEM file" % (label, name))
            elif name == "proxy.yaml":
                self.assertTrue(data.endswith(b"\n") and b"transforms:" in data, (label, data[-200:]))
        return names

    def test_setup_on_full_tmpfs(self):
        outcomes = []
        for pages in range(1, 12):
            self.mount("%dk" % (4 * pages))
            r = self.setup_cmd()
            self.assertFalse(fs.crashed(r.returncode), r.stderr)
            names = self.check_files("size %dk" % (4 * pages))
            if r.returncode == 0:
                outcomes.append((4 * pages, "ok", names))
                break
            self.assertIn("No space left on device", r.stderr, r.stderr)
            self.assertIn(self.state, r.stderr, "the error does not name the file: " + r.stderr)
            outcomes.append((4 * pages, r.stderr.strip().splitlines()[-1], names))
        for size, what, names in outcomes:
            print("  tmpfs %3d KiB: %s  files=%s" % (size, what, ",".join(names)))
        self.assertEqual(outcomes[-1][1], "ok", "setup never succeeded up to 44 KiB")
        self.assertGreater(len(outcomes), 2, "no size ran out of space")
        # Full again one write before the end; with room again (the same
        # tmpfs grown), setup succeeds over what the failed run left.
        self.mount("%dk" % (outcomes[-2][0]))
        r = self.setup_cmd()
        self.assertNotEqual(r.returncode, 0, r.stderr)
        subprocess.run(["mount", "-o", "remount,size=1m", self.state], check=True)
        r = self.setup_cmd()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(self.check_files("after remount")), sorted(outcomes[-1][2]))


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
