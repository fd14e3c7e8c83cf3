"""sandbox-egress start/stop/restart/reload against a real daemon process.

The iron-proxy engine path runs a stand-in engine script (standin_engine.py:
the real iron-proxy binary cannot be downloaded here); the builtin engine path
runs the real `sandbox-egress serve`. Every test uses its own temporary
SANDBOX_RUN_HOME and tunnel ports on 127.0.0.1, and kills what it started.

Tunnel ports 19450-19529 (this suite's range on the shared machine; a home
uses port, port+1 and port+2).
"""
import os
import signal
import socket
import subprocess
import threading
import time

from daemon_support import ALLOWED_ENV, DaemonTestCase, alive, mode_of, pids_with_env, proc_environ, reserve_ports
import harness

reserve_ports(19450, 19529)


class Lifecycle(DaemonTestCase):
    def cycle(self, home):
        r = home.egress("start")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("started the egress daemon", r.stdout)
        pid = home.pid()
        self.assertTrue(alive(pid))
        socket.create_connection(("127.0.0.1", home.port), timeout=2).close()
        for name in ("daemon.pid", "daemon.nonce", "daemon.log", "audit.log"):
            self.assertEqual(mode_of(home.path(name)), 0o600, name)
        self.assertEqual(proc_environ(pid)[b"SANDBOX_EGRESS_NONCE"].decode(), home.nonce())
        check = home.egress("status", "--check")
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

        again = home.egress("start")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("already running (pid %d)" % pid, again.stdout)
        self.assertEqual(home.pid(), pid)

        stop = home.egress("stop")
        self.assertEqual(stop.returncode, 0, stop.stderr)
        self.assertIn("stopped the egress daemon (pid %d)" % pid, stop.stdout)
        self.assertFalse(alive(pid))
        self.assertFalse(os.path.exists(home.path("daemon.pid")))
        self.assertFalse(os.path.exists(home.path("daemon.nonce")))

        again = home.egress("stop")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("not running", again.stdout)

    def test_cycle_standin_engine(self):
        self.cycle(self.make_home())

    def test_cycle_builtin_serve(self):
        self.cycle(self.make_home(engine="builtin"))

    def test_restart_gives_a_new_daemon(self):
        home = self.make_home()
        self.assertEqual(home.egress("start").returncode, 0)
        first, nonce = home.pid(), home.nonce()
        r = home.egress("restart")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(alive(first))
        self.assertTrue(alive(home.pid()))
        self.assertNotEqual(home.nonce(), nonce)
        home.egress("stop")

    def test_environment_is_allowlisted(self):
        home = self.make_home(engine="builtin")
        r = home.egress("start", HTTPS_PROXY="http://10.9.9.9:1", https_proxy="http://10.9.9.9:1",
                        NO_PROXY="x", UNRELATED_SECRET="do-not-pass", OPENAI_API_KEY="sk-real-openai",
                        GEMINI_API_KEY="", GOOGLE_API_KEY="real-google", AWS_SECRET_ACCESS_KEY="aws")
        self.assertEqual(r.returncode, 0, r.stderr)
        env = proc_environ(home.pid())
        names = {k.decode() for k in env}
        self.assertLessEqual(names - {"OPENAI_API_KEY", "GEMINI_API_KEY"}, ALLOWED_ENV)
        self.assertEqual(env[b"OPENAI_API_KEY"], b"sk-real-openai")
        self.assertEqual(env[b"GEMINI_API_KEY"], b"real-google")  # first non-empty alias
        self.assertNotIn(b"GOOGLE_API_KEY", env)
        self.assertEqual(env[b"SANDBOX_EGRESS_MGMT_KEY"].decode() + "\n",
                         open(home.path("management.token")).read())
        home.egress("stop")

    def test_stale_pidfile_is_cleaned(self):
        home = self.make_home()
        dead = subprocess.Popen(["true"])
        dead.wait()
        home.write_private("daemon.pid", "%d\n" % dead.pid)
        r = home.egress("start")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("stale pidfile", r.stderr)
        self.assertTrue(alive(home.pid()))
        home.egress("stop")

    def test_recycled_pid_is_never_signalled(self):
        home = self.make_home()
        sleeper = subprocess.Popen(["sleep", "300"])
        self.addCleanup(sleeper.kill)
        home.write_private("daemon.pid", "%d\n" % sleeper.pid)
        home.write_private("daemon.nonce", "0123456789abcdef\n")
        stop = home.egress("stop")
        self.assertEqual(stop.returncode, 0, stop.stderr)
        self.assertIn("stale pidfile", stop.stdout)
        self.assertIsNone(sleeper.poll(), "the unrelated process was signalled")
        home.write_private("daemon.pid", "%d\n" % sleeper.pid)
        start = home.egress("start")
        self.assertEqual(start.returncode, 0, start.stderr)
        self.assertNotEqual(home.pid(), sleeper.pid)
        self.assertIsNone(sleeper.poll())
        home.egress("stop")
        self.assertIsNone(sleeper.poll())

    def test_kill9_is_seen_as_dead(self):
        home = self.make_home(engine="builtin")
        self.assertEqual(home.egress("start").returncode, 0)
        pid = home.pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 3
        while alive(pid) and time.time() < deadline:
            time.sleep(0.05)
        status = home.egress("status", "--check")
        self.assertEqual(status.returncode, 1, status.stdout)
        self.assertNotIn("running (pid %d)" % pid, status.stdout)
        r = home.egress("start")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("stale pidfile", r.stderr)
        home.egress("stop")

    def assertFailedStartLeftNothing(self, home, r, started_at, limit):
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertLess(time.time() - started_at, limit)
        self.assertIn("last lines of", r.stderr)
        self.assertFalse(os.path.exists(home.path("daemon.pid")))
        self.assertFalse(os.path.exists(home.path("daemon.nonce")))
        self.assertNoDaemon(home)

    def test_port_in_use_fails_with_log_tail(self):
        for engine in ("builtin", "iron-proxy"):
            with self.subTest(engine=engine):
                home = self.make_home(engine=engine)
                blocker = socket.socket()
                blocker.bind(("127.0.0.1", home.port))
                blocker.listen(1)
                self.addCleanup(blocker.close)
                t0 = time.time()
                r = home.egress("start")
                self.assertFailedStartLeftNothing(home, r, t0, 8)

    def test_never_listening_times_out(self):
        home = self.make_home(mode="never")
        t0 = time.time()
        r = home.egress("start")
        self.assertIn("within 5000 ms", r.stderr)
        self.assertIn("stand-in engine starting, mode never", r.stderr)
        self.assertFailedStartLeftNothing(home, r, t0, 8)

    def test_sigint_during_wait_leaves_no_daemon(self):
        home = self.make_home(mode="slow")
        p = home.popen("start")
        deadline = time.time() + 3
        while not home.daemons() and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(home.daemons(), "the engine was never spawned")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("interrupted", err)
        self.assertFalse(os.path.exists(home.path("daemon.pid")))
        self.assertNoDaemon(home)

    def test_daemon_ignoring_sigterm_is_killed(self):
        home = self.make_home(mode="ignore_term")
        self.assertEqual(home.egress("start").returncode, 0)
        pid = home.pid()
        t0 = time.time()
        r = home.egress("stop")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("killed the egress daemon (pid %d)" % pid, r.stdout)
        self.assertGreaterEqual(time.time() - t0, 4.5)
        self.assertFalse(alive(pid))

    def test_symlinked_pidfile_or_log_is_refused(self):
        for name in ("daemon.pid", "daemon.log"):
            with self.subTest(name=name):
                home = self.make_home()
                target = os.path.join(home.root, "victim")
                open(target, "w").write("precious\n")
                os.symlink(target, home.path(name))
                r = home.egress("start")
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertIn("symbolic link", r.stderr)
                self.assertEqual(open(target).read(), "precious\n")
                self.assertNoDaemon(home)

    def test_ten_concurrent_starts_make_one_daemon(self):
        home = self.make_home(engine="builtin")
        procs = []
        barrier = threading.Barrier(10)
        results = [None] * 10

        def run(i):
            barrier.wait()
            results[i] = home.egress("start")

        threads = [threading.Thread(target=run, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        started = [r for r in results if "started the egress daemon" in r.stdout]
        self.assertEqual(len(started), 1, [(r.stdout, r.stderr) for r in results])
        for r in results:
            if r is started[0]:
                continue
            self.assertTrue("already running" in r.stdout or "another start is in progress" in r.stderr,
                            (r.returncode, r.stdout, r.stderr))
        self.assertEqual(len(home.daemons()), 1)
        self.assertTrue(alive(home.pid()))
        self.assertEqual(pids_with_env("SANDBOX_EGRESS_NONCE", home.nonce()), [home.pid()])
        del procs
        home.egress("stop")

    def test_refusals(self):
        home = self.make_home()
        home.write_config("iron-proxy", False, "")
        os.unlink(os.path.join(home.home, "bin", "iron-proxy"))
        r = home.egress("start")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not installed", r.stderr)
        self.assertIn("sandbox-egress install", r.stderr)
        with open(os.path.join(home.home, "config.yaml"), "w") as f:
            f.write("proxy:\n  enabled: false\n")
        r = home.egress("start")
        self.assertEqual(r.returncode, 1)
        self.assertIn("egress is disabled", r.stderr)
        home.write_config("builtin", False, "")
        os.unlink(home.path("proxy.yaml"))
        r = home.egress("start")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not set up", r.stderr)


class Reload(DaemonTestCase):
    def test_reload_outcomes(self):
        home = self.make_home()
        r = home.egress("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not running", r.stderr)
        self.assertEqual(home.egress("start").returncode, 0)
        r = home.egress("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("reloaded", r.stdout)
        home.write_proxy_yaml(invalid=True)
        r = home.egress("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("(422)", r.stderr)
        self.assertIn('unknown transform \\"INVALID\\"'.replace("\\", ""), r.stderr)
        home.write_proxy_yaml()
        home.write_private("management.token", "not-the-key\n")
        r = home.egress("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("401", r.stderr)
        home.write_proxy_yaml(management=False)
        r = home.egress("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no management listener", r.stderr)
        home.egress("stop")

    def test_reload_unreachable(self):
        home = self.make_home()
        self.assertEqual(home.egress("start").returncode, 0)
        # Point the management address at a port nothing listens on.
        text = open(home.path("proxy.yaml")).read().replace(
            "127.0.0.1:%d\"\n  api_key_env" % (home.port + 2), "127.0.0.1:1\"\n  api_key_env")
        home.write_private("proxy.yaml", text)
        r = home.egress("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unreachable", r.stderr)
        home.egress("stop")

    def test_reload_builtin_serve(self):
        home = self.make_home(engine="builtin")
        self.assertEqual(home.egress("start").returncode, 0)
        r = home.egress("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        home.egress("stop")


if __name__ == "__main__":
    harness.main()
