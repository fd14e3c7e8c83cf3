#!/usr/bin/env python3
"""`sandbox-run exec|stop|kill|rm` against `docker exec|stop|kill|rm` on the
same daemon: stdout, stderr and exit code of each pair must be equal (the
container names differ, so each side gets its own container and the names
are swapped before comparing). Containers come from `sandbox-run -d`, which
labels them io.sandbox-run.managed; one started by `docker run` is refused.
"""
import os
import pty
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402

RUN_ID = "%d-%d" % (os.getpid(), int(time.time()))
IMAGE = harness.BUSYBOX_IMAGE


def sandbox(*args, **kw):
    return harness.run([harness.SANDBOX_RUN, *args], text=True, **kw)


def docker(*args, **kw):
    return harness.run(["docker", *args], text=True, **kw)


class ExecLifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = "/tmp/sr-exec-home-" + RUN_ID
        os.environ["SANDBOX_RUN_HOME"] = cls.home  # no config: egress off
        cls.names = []

    @classmethod
    def tearDownClass(cls):
        if cls.names:
            docker("rm", "-f", *cls.names)

    def start(self, tag):
        name = "sr-exec-%s-%s" % (tag, RUN_ID)
        self.names.append(name)
        r = sandbox("-d", "--pull", "never", "--name", name, IMAGE, "sleep", "600")
        self.assertEqual(r.returncode, 0, r.stderr)
        return name

    def pair(self, tag):
        return self.start(tag + "-d"), self.start(tag + "-s")

    def same(self, docker_args, sandbox_args, d, s, **kw):
        want = docker(*[a.replace("{}", d) for a in docker_args], **kw)
        got = sandbox(*[a.replace("{}", s) for a in sandbox_args], **kw)
        ids = [(harness.inspect("container", n) or {}).get("Id") for n in (s, d)]

        def swap(text):
            if all(ids):
                text = text.replace(ids[0], ids[1])
            return text.replace(s, d)
        self.assertEqual((swap(got.stdout), swap(got.stderr), got.returncode),
                         (want.stdout, want.stderr, want.returncode), sandbox_args)
        return got

    def exec_same(self, *args, **kw):
        d, s = self.shared
        return self.same(["exec", *args], ["exec", *args], d, s, **kw)

    def setUp(self):
        if not hasattr(ExecLifecycleTest, "shared"):
            ExecLifecycleTest.shared = self.pair("shared")

    def test_exec_output_and_exit_codes(self):
        self.exec_same("{}", "sh", "-c", "echo out; echo err >&2; exit 3")
        self.exec_same("{}", "no-such-binary")        # 126, the daemon's message on stdout
        self.exec_same("{}", "/etc")                  # 126: permission denied
        self.exec_same("no-such-container-" + RUN_ID, "true")  # 1
        d, s = self.shared
        usage = (docker("exec", d), sandbox("exec", s))  # usage: the wording names the program
        self.assertEqual([r.returncode for r in usage], [1, 1])
        self.assertIn("'sandbox-run exec' requires at least 2 arguments", usage[1].stderr)
        for args in (["exec", "--bogus", "{}", "true"], ["stop"], ["stop", "--bogus", "{}"], ["rm", "-x", "{}"]):
            want = docker(*[a.replace("{}", d) for a in args])
            got = sandbox(*[a.replace("{}", s) for a in args])
            self.assertEqual(got.returncode, want.returncode, args)

    def test_exec_env_workdir_user(self):
        self.exec_same("-e", "A=1", "-e", "B", "-w", "/tmp", "-u", "65534:65534", "{}",
                       "sh", "-c", "echo $A ${B-unset} $(pwd) $(id -u):$(id -g)")

    def test_exec_stdin(self):
        got = self.exec_same("-i", "{}", "sh", "-c", "tr a-z A-Z; echo done", input="hello\nworld\n")
        self.assertEqual(got.stdout, "HELLO\nWORLD\ndone\n")
        self.exec_same("{}", "cat", input="not forwarded without -i\n")

    def test_exec_tty_without_a_terminal(self):
        d, s = self.shared
        want = docker("exec", "-it", d, "true", input="")
        got = sandbox("exec", "-it", s, "true", input="")
        self.assertEqual((got.returncode, got.stdout), (want.returncode, want.stdout))
        self.assertIn("the input device is not a TTY", got.stderr)
        self.exec_same("-t", "{}", "sh", "-c", "tty >/dev/null && echo tty; exit 2", stdin=subprocess.DEVNULL)

    def test_exec_signal_ends_the_client_like_docker(self):
        d, s = self.shared
        codes = []
        for argv in (["docker", "exec", d, "sleep", "30"], [harness.SANDBOX_RUN, "exec", s, "sleep", "30"]):
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(1.5)
            p.send_signal(15)
            p.communicate(timeout=30)
            codes.append(p.returncode)
        self.assertEqual(codes[1], codes[0])

    def test_exec_detached(self):
        self.exec_same("-d", "{}", "sh", "-c", "echo hidden")

    def test_exec_tty(self):
        d, s = self.shared
        outs = []
        for argv in (["docker", "exec", "-it", d, "sh", "-c", "tty >/dev/null && echo is-tty; stty size"],
                     [harness.SANDBOX_RUN, "exec", "-it", s, "sh", "-c",
                      "tty >/dev/null && echo is-tty; stty size"]):
            pid, fd = pty.fork()
            if pid == 0:
                os.execvp(argv[0], argv)
            data = b""
            while True:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
            _, status = os.waitpid(pid, 0)
            outs.append((data.decode(errors="replace").replace("\r", ""), os.waitstatus_to_exitcode(status)))
        self.assertEqual(outs[1], outs[0])
        self.assertIn("is-tty", outs[1][0])

    def test_stop_kill_rm(self):
        d, s = self.pair("life")
        self.same(["kill", "-s", "SIGUSR1", "{}"], ["kill", "-s", "SIGUSR1", "{}"], d, s)
        self.same(["stop", "-t", "1", "{}"], ["stop", "-t", "1", "{}"], d, s)
        self.same(["kill", "{}"], ["kill", "{}"], d, s)  # not running: the daemon's 409
        missing = "no-such-container-" + RUN_ID
        self.same(["stop", missing], ["stop", missing], d, s)
        self.same(["rm", "{}", missing], ["rm", "{}", missing], d, s)
        self.assertIsNone(harness.inspect("container", s))

    def test_rm_force_running(self):
        d, s = self.pair("rmf")
        self.same(["rm", "{}"], ["rm", "{}"], d, s)  # running: refused
        self.same(["rm", "-f", "{}"], ["rm", "-f", "{}"], d, s)

    def test_refuses_containers_it_did_not_start(self):
        name = "sr-exec-foreign-" + RUN_ID
        self.names.append(name)
        docker("run", "-d", "--name", name, IMAGE, "sleep", "600")
        for args in (["exec", name, "true"], ["stop", name], ["kill", name], ["rm", "-f", name]):
            r = sandbox(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn("was not started by sandbox-run", r.stderr)
        self.assertTrue(harness.inspect("container", name)["State"]["Running"])

    def test_run_word_keeps_image_named_like_a_subcommand(self):
        r = sandbox("run", "--rm", "--pull", "never", IMAGE, "echo", "via-run")
        self.assertEqual((r.stdout, r.returncode), ("via-run\n", 0), r.stderr)


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
