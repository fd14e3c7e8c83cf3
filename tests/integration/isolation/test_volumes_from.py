"""--volumes-from like `docker run` (HostConfig.VolumesFrom), and with egress
on, judged before anything is created: the source container's mounts get the
same rules as the sandbox's own binds (issue 15 §1). Real source containers on
the real dockerd: one with a Docker-socket bind (refused, exit 125, naming the
option, the source container and the sandbox.allow_unsafe item; allowed when
the item is), one with a plain named volume (launches and sees its data)."""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import harness  # noqa: E402
import egress_stack  # noqa: E402

BUSYBOX = harness.BUSYBOX_IMAGE


def docker_ids(kind):
    r = harness.run(["docker", kind, "ls", "-q", "--no-trunc"] + (["-a"] if kind == "container" else []))
    return set(r.stdout.decode().split())


class VolumesFrom(unittest.TestCase):
    port = 19620

    @classmethod
    def setUpClass(cls):
        harness.require_docker()
        tag = "%d" % os.getpid()
        cls.volume = "sr-vf-data-" + tag
        cls.sock_src = "sr-vf-sock-" + tag
        cls.data_src = "sr-vf-data-src-" + tag
        cls.s = egress_stack.Stack(cls.port, isolation="internal")
        try:
            cls.s.setup_and_start()
            for cmd in (["docker", "volume", "create", cls.volume],
                        ["docker", "run", "--rm", "-v", cls.volume + ":/data", BUSYBOX, "sh", "-c",
                         "echo from-the-volume > /data/marker"],
                        ["docker", "create", "--name", cls.sock_src, "-v", "/var/run/docker.sock:/s",
                         BUSYBOX, "true"],
                        ["docker", "create", "--name", cls.data_src, "-v", cls.volume + ":/data", BUSYBOX, "true"]):
                r = harness.run(cmd)
                if r.returncode != 0:
                    raise RuntimeError("%s: %s" % (cmd, r.stderr.decode()))
        except Exception:
            cls.tearDownClass()
            raise
        cls.config_path = os.path.join(cls.s.home, "config.yaml")
        with open(cls.config_path) as f:
            cls.base_config = f.read()

    @classmethod
    def tearDownClass(cls):
        harness.run(["docker", "rm", "-f", cls.sock_src, cls.data_src])
        harness.run(["docker", "volume", "rm", cls.volume])
        cls.s.cleanup()

    def configure(self, extra):
        with open(self.config_path, "w") as f:
            f.write(self.base_config + extra)

    def tearDown(self):
        self.configure("")

    def test_a_docker_socket_bind_in_the_source_is_refused_before_anything_is_created(self):
        before = (docker_ids("container"), docker_ids("network"))
        r = self.s.run("--rm", "--pull", "never", "--volumes-from", self.sock_src + ":ro", BUSYBOX, "true")
        self.assertEqual(r.returncode, 125, r.stdout + r.stderr)
        self.assertIn("--volumes-from %s:ro (its mount of /var/run/docker.sock on /s)" % self.sock_src, r.stderr)
        self.assertIn("sandbox.allow_unsafe: [docker_socket]", r.stderr)
        self.assertEqual((docker_ids("container"), docker_ids("network")), before)

    def test_the_dry_run_names_it_too(self):
        r = self.s.run("--dry-run", "--volumes-from", self.sock_src, BUSYBOX, "true")
        self.assertEqual(r.returncode, 125, r.stderr)
        self.assertIn("would refuse: --volumes-from " + self.sock_src, r.stderr)

    def test_an_unknown_source_is_refused(self):
        before = docker_ids("container")
        r = self.s.run("--rm", "--pull", "never", "--volumes-from", "sr-vf-no-such-container", BUSYBOX, "true")
        self.assertEqual(r.returncode, 125, r.stdout + r.stderr)
        self.assertIn("--volumes-from sr-vf-no-such-container: its mounts cannot be checked", r.stderr)
        self.assertEqual(docker_ids("container"), before)

    def test_allowed_item_launches_with_the_socket(self):
        self.configure("sandbox:\n  allow_unsafe: [docker_socket]\n")
        r = self.s.run("--rm", "--pull", "never", "--volumes-from", self.sock_src, BUSYBOX, "sh", "-c",
                       "test -S /s && exit 77")
        self.assertEqual(r.returncode, 77, r.stdout + r.stderr)

    def test_a_plain_volume_is_allowed_and_shared(self):
        r = self.s.run("--rm", "--pull", "never", "--volumes-from", self.data_src + ":ro", BUSYBOX, "sh", "-c",
                       "cat /data/marker; touch /data/x 2>/dev/null && echo writable || echo read-only")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("from-the-volume", r.stdout)
        self.assertIn("read-only", r.stdout)

    def test_without_egress_it_is_plain_docker_run(self):
        home = os.path.join(self.s.root, "plain-home")
        os.makedirs(home, exist_ok=True)
        env = harness.home_env(home, self.s.root)
        r = subprocess.run([harness.SANDBOX_RUN, "--rm", "--pull", "never", "--volumes-from", self.sock_src,
                            BUSYBOX, "sh", "-c", "test -S /s && exit 77"], env=env, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 77, r.stdout + r.stderr)


if __name__ == "__main__":
    harness.main()
