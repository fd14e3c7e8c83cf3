#!/usr/bin/env python3
"""Registry auth for `sandbox-run --pull`: a second Debian docker-registry on
a free loopback port with htpasswd (bcrypt) auth; the busybox test image is
pushed to it with the docker CLI's login. sandbox-run then pulls it with the
credentials of a config.json `auths` entry, of a `credsStore` helper on PATH,
and fails with the daemon's own message without them. The password never
appears in sandbox-run's output.

dockerd treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "proxy"))
import harness  # noqa: E402
from fixtures import free_port  # noqa: E402

USER = "sr-user"
PASSWORD = "pw-%d-Zq7" % os.getpid()


def bcrypt_line(user, password):
    """The registry accepts bcrypt only: htpasswd -B (apache2-utils)."""
    r = subprocess.run(["htpasswd", "-nbB", user, password], capture_output=True, text=True, check=True)
    return r.stdout.strip()


class RegistryAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sr-registry-auth-")
        with open(os.path.join(cls.tmp, "htpasswd"), "w") as f:
            f.write(bcrypt_line(USER, PASSWORD) + "\n")
        cls.addr = "127.0.0.1:%d" % free_port()
        config = os.path.join(cls.tmp, "registry.yml")
        with open(config, "w") as f:
            f.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n"
                    "http:\n  addr: %s\nauth:\n  htpasswd:\n    realm: sr-test\n    path: %s/htpasswd\n"
                    % (cls.tmp, cls.addr, cls.tmp))
        cls.log = open(os.path.join(cls.tmp, "registry.log"), "w")
        cls.registry = subprocess.Popen(["docker-registry", "serve", config], stdout=cls.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for _ in range(60):
            try:
                urllib.request.urlopen("http://%s/v2/" % cls.addr, timeout=2)
            except urllib.error.HTTPError:
                break  # 401: it answers
            except OSError:
                time.sleep(0.5)
        cls.image = "%s/sr-auth/busybox:t%d" % (cls.addr, os.getpid())
        # The pushing client's own config (written by `docker login`).
        cls.push_config = os.path.join(cls.tmp, "push-config")
        docker = ["docker", "--config", cls.push_config]
        r = subprocess.run(docker + ["login", "-u", USER, "--password-stdin", cls.addr], input=PASSWORD,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        harness.run(["docker", "tag", harness.BUSYBOX_IMAGE, cls.image], check=True)
        r = harness.run(docker + ["push", "-q", cls.image], text=True)
        assert r.returncode == 0, r.stderr
        harness.run(["docker", "rmi", cls.image])

    @classmethod
    def tearDownClass(cls):
        harness.run(["docker", "rmi", cls.image])
        cls.registry.terminate()
        cls.registry.wait(timeout=30)
        cls.log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        harness.run(["docker", "rmi", self.image])

    def config_dir(self, name, config):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f)
        return d

    def pull(self, config_dir, path_prefix=None):
        env = dict(os.environ, DOCKER_CONFIG=config_dir, SANDBOX_RUN_HOME=os.path.join(self.tmp, "home"))
        env.pop("DOCKER_HOST", None)
        if path_prefix:
            env["PATH"] = path_prefix + ":" + env["PATH"]
        r = harness.run([harness.SANDBOX_RUN, "--rm", "--pull", "always", "--network", "none", self.image,
                         "echo", "pulled"], env=env, text=True)
        self.assertNotIn(PASSWORD, r.stdout + r.stderr)
        return r

    def test_auths_entry_login_pulls(self):
        d = os.path.join(self.push_config)  # exactly what `docker login` wrote
        r = self.pull(d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip().splitlines()[-1], "pulled")

    def test_without_login_the_daemons_message(self):
        d = self.config_dir("empty", {})
        r = self.pull(d)
        self.assertEqual(r.returncode, 125)
        docker = harness.run(["docker", "--config", d, "pull", self.image], text=True)
        self.assertNotEqual(docker.returncode, 0)
        self.assertIn("no basic auth credentials", docker.stderr)
        self.assertIn("no basic auth credentials", r.stderr)

    def test_wrong_password_is_refused_and_not_printed(self):
        import base64
        wrong = base64.b64encode(("%s:%s-wrong" % (USER, PASSWORD)).encode()).decode()
        d = self.config_dir("wrong", {"auths": {self.addr: {"auth": wrong}}})
        r = self.pull(d)
        self.assertEqual(r.returncode, 125)
        self.assertIn("unauthorized", r.stderr.lower() + r.stdout.lower())

    def test_creds_store_helper_on_path(self):
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir, exist_ok=True)
        seen = os.path.join(self.tmp, "helper-stdin")
        helper = os.path.join(bindir, "docker-credential-sr-test")
        with open(helper, "w") as f:
            f.write("#!/bin/sh\n[ \"$1\" = get ] || exit 2\nserver=$(cat)\nprintf %%s \"$server\" > %s\n"
                    "[ \"$server\" = %s ] || { echo 'credentials not found in native keychain'; exit 1; }\n"
                    "printf '{\"ServerURL\":\"%%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' \"$server\"\n"
                    % (seen, self.addr, USER, PASSWORD))
        os.chmod(helper, 0o700)
        d = self.config_dir("store", {"credsStore": "sr-test"})
        r = self.pull(d, path_prefix=bindir)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(seen) as f:
            self.assertEqual(f.read(), self.addr)
        # credHelpers names the helper per registry host.
        d = self.config_dir("helpers", {"credHelpers": {self.addr: "sr-test"}})
        harness.run(["docker", "rmi", self.image])
        r = self.pull(d, path_prefix=bindir)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    harness.require_docker()
    if not shutil.which("docker-registry") or not shutil.which("htpasswd"):
        print("SKIP: docker-registry or htpasswd (apache2-utils) not installed (scripts/install-deps.sh --test)", file=sys.stderr)
        sys.exit(harness.SKIP)
    harness.main()
