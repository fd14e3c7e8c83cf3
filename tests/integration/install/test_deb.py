"""The Debian package as a user gets it: `cpack -G DEB` from the build tree,
its control fields (Depends computed by dpkg-shlibdeps, Docker only
recommended), then `apt-get install ./sandbox-run_*.deb` in a clean Debian
container with no network at all (--network none, no apt sources): the image
(scripts/build-images.sh debian) is a debootstrap minbase holding only the
runtime libraries the package's Depends name, so apt resolves them offline.
In that container: `sandbox-run --version`, `sandbox-egress doctor --json`,
and one sandbox through the host's Docker socket (--pull never, the local
busybox test image).

Env: SR_BUILD_DIR (default build/), SANDBOX_RUN_REQUIRE_DOCKER=1 (CI: an
unreachable daemon fails instead of skipping).
"""
import glob
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from harness import BUSYBOX_IMAGE, ROOT, docker_socket, require_docker  # noqa: E402
from test_install import run  # noqa: E402

BUILD = os.path.abspath(os.environ.get("SR_BUILD_DIR", os.path.join(ROOT, "build")))
CLEAN_IMAGE = "sandbox-run-test/debian:latest"
SANDBOX_EXIT = 7




def depends_packages(depends):
    """'libc6 (>= 2.34), libfoo1 | libfoo2' -> ['libc6', 'libfoo1']"""
    return [re.split(r"[\s(|]", alt.strip(), maxsplit=1)[0] for alt in depends.split(",") if alt.strip()]


class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sr-deb-")
        cls.container = None
        r = run(["cpack", "-G", "DEB", "-B", cls.tmp, "--config", os.path.join(BUILD, "CPackConfig.cmake")],
                cwd=BUILD, timeout=600)
        if r.returncode != 0:
            raise AssertionError("cpack -G DEB: %s%s" % (r.stdout, r.stderr))
        debs = glob.glob(os.path.join(cls.tmp, "sandbox-run_*.deb"))
        if len(debs) != 1:
            raise AssertionError("cpack made %r, expected one sandbox-run_*.deb" % debs)
        cls.deb = debs[0]

    @classmethod
    def tearDownClass(cls):
        if cls.container:
            run(["docker", "rm", "-f", cls.container])
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        r = run(["dpkg-deb", "-f", self.deb, name])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def test_1_control_fields(self):
        self.assertEqual(self.field("Package"), "sandbox-run")
        depends = depends_packages(self.field("Depends"))
        # computed from the binaries' shared libraries, not written by hand
        for lib in ("libc6", "libcurl4", "libssl3", "libyaml-cpp0.7"):
            self.assertIn(lib, depends)
        self.assertNotIn("docker.io", self.field("Depends"))
        self.assertEqual(self.field("Recommends"), "docker.io | docker-ce, iptables")
        self.assertEqual(self.field("Suggests"), "runsc")
        self.assertEqual(self.field("Section"), "admin")
        files = run(["dpkg-deb", "-c", self.deb]).stdout
        for path in ("./usr/bin/sandbox-run", "./usr/bin/sandbox-egress", "./usr/share/man/man1/sandbox-run.1",
                     "./usr/share/bash-completion/completions/sandbox-egress",
                     "./usr/share/zsh/vendor-completions/_sandbox-run", "./usr/share/doc/sandbox-run/LICENSE",
                     "./usr/share/doc/sandbox-run/copyright"):
            self.assertIn(path, files)

    def test_2_clean_container(self):
        sock = docker_socket()
        self.assertIsNotNone(sock, "the test mounts the daemon's unix socket into the container")
        packages = depends_packages(self.field("Depends"))
        r = run(["bash", os.path.join(ROOT, "scripts", "build-images.sh"), "debian"],
                env=dict(os.environ, SANDBOX_RUN_DEBIAN_PACKAGES=" ".join(sorted(set(packages)))), timeout=900)
        self.assertEqual(r.returncode, 0, "build-images.sh debian: " + r.stdout + r.stderr)
        # a clean machine: the package is not there before
        r = run(["docker", "run", "--rm", "--network", "none", CLEAN_IMAGE, "sh", "-c",
                 "command -v sandbox-run || echo absent"])
        self.assertEqual(r.stdout.strip(), "absent")

        type(self).container = "sr-deb-test-%d" % os.getpid()
        r = run(["docker", "run", "-d", "--name", self.container, "--network", "none",
                 "-v", "%s:/var/run/docker.sock" % sock, "-v", "%s:/pkg:ro" % self.tmp,
                 CLEAN_IMAGE, "sleep", "600"])
        self.assertEqual(r.returncode, 0, r.stderr)

        def sh(script):
            return run(["docker", "exec", self.container, "bash", "-c", script])

        deb = "/pkg/" + os.path.basename(self.deb)
        r = sh("apt-get install -y -q -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts=/dev/null %s"
               % deb)
        self.assertEqual(r.returncode, 0, "apt-get install ./deb offline:\n" + r.stdout + r.stderr)
        r = sh("dpkg-query -W -f='${Status}' sandbox-run")
        self.assertEqual(r.stdout, "install ok installed")

        r = sh("sandbox-run --version && sandbox-egress --version")
        self.assertEqual(r.returncode, 0, r.stderr)
        built = run([os.path.join(BUILD, "bin", "sandbox-run"), "--version"]).stdout
        self.assertEqual(r.stdout.splitlines()[0], built.strip())
        self.assertTrue(r.stdout.splitlines()[1].startswith("sandbox-egress version "))

        # Not set up in this container: doctor says so in its stable JSON and exits 1.
        r = sh("SANDBOX_RUN_HOME=/root/sr sandbox-egress doctor --json --no-network")
        self.assertIn(r.returncode, (0, 1), r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual({c["status"] for c in report["checks"]} - {"pass", "warn", "fail", "skip"}, set())
        self.assertIn("engine", [c["name"] for c in report["checks"]])
        self.assertEqual(report["ok"], r.returncode == 0)

        # One sandbox through the host's daemon, from inside the clean container.
        name = "sr-deb-sandbox-%d" % os.getpid()
        r = sh("sandbox-run --rm --pull never --name %s %s sh -c 'echo hello from the sandbox; exit %d'"
               % (name, BUSYBOX_IMAGE, SANDBOX_EXIT))
        self.assertEqual(r.returncode, SANDBOX_EXIT, r.stderr)
        self.assertEqual(r.stdout, "hello from the sandbox\n")
        self.assertNotEqual(run(["docker", "container", "inspect", name]).returncode, 0, "--rm left the container")


if __name__ == "__main__":
    require_docker()
    unittest.main(verbosity=2)
