"""Malformed inputs to both commands (issue 7 section 3): config.yaml,
mappings.json, flags, env files. Every one gets a clear error naming the
input (exit 125 for sandbox-run, non-zero for sandbox-egress), in bounded
time, never a crash, and creates no container and no daemon."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_support as fs  # noqa: E402
from faults_support import harness  # noqa: E402
import egress_stack  # noqa: E402
from egress_stack import KEYS  # noqa: E402
import reaper  # noqa: E402

BUSYBOX = harness.BUSYBOX_IMAGE
TIMEOUT = 60

BAD_CONFIGS = {
    "yaml-syntax": "proxy: [unclosed\n  enabled: true\n",
    "tabs": "proxy:\n\tenabled: true\n",
    "not-a-map": "- just\n- a list\n",
    "proxy-scalar": "proxy: 5\n",
    "bad-bool": "proxy:\n  enabled: maybe\n",
    "bad-port": "proxy:\n  enabled: true\n  tunnel_port: 99999\n",
    "negative-port": "proxy:\n  enabled: true\n  tunnel_port: -1\n",
    "bad-engine": "proxy:\n  enabled: true\n  engine: nginx\n",
    "bad-isolation": "proxy:\n  enabled: true\n  isolation: sometimes\n",
    "bad-cidr": "proxy:\n  enabled: true\n  upstream_deny_cidrs: [\"10.0.0.0/99\"]\n",
    "cidr-not-list": "proxy:\n  enabled: true\n  upstream_deny_cidrs: 10.0.0.0/8\n",
    "docker-env-list": "docker_env: [A, B]\n",
    "binary": "\x00\x01\x02\xff\xfe garbage \x00\n",
    "deep-nesting": "proxy: " + "[" * 5000 + "]" * 5000 + "\n",
    "anchors-bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "proxy: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
}

BAD_MAPPINGS = {
    "truncated": lambda good: good[:len(good) // 2],
    "empty": lambda good: "",
    "not-json": lambda good: "this is not json\n",
    "json-list": lambda good: "[]\n",
    "json-null": lambda good: "null\n",
    "wrong-types": lambda good: '{"tokens": 5}\n',
    "binary": lambda good: "\x00\xff\xfe\x01" * 100,
    "deep": lambda good: "[" * 100000 + "]" * 100000,
}

BAD_FLAGS = [
    ["--bogus-flag"],
    ["--memory", "lots"],
    ["--cpus", "many"],
    ["-p", "99999:80"],
    ["-p", "not-a-port"],
    ["--pull", "sometimes"],
    ["-v", "::::"],
    ["--restart", "whenever"],
    ["--ulimit", "nofile=abc"],
    ["-e", ""],
    ["--label", "=x"],
    ["--env-file"],
    ["--network"],
    [],
    ["--rm", ""],
    ["--name", "bad name!"],
    ["--tmpfs", ""],
]

BAD_ENV_FILES = {
    "space-in-name": b"BAD NAME=1\n",
    "binary": b"\x00\x01\x02=\xff\xfe\n",
    "long-line": b"A=" + b"x" * (100 << 10) + b"\n",  # under the kernel's 128 KiB per string
    "only-equals": b"=value\n",
    "non-utf8": b"A=\xff\xfe\xfd\n",
}


def clean_env(home, extra=None):
    return harness.home_env(home, os.path.dirname(home), extra, egress_stack.PROVIDER_PREFIXES)


def run(binary, args, env):
    return subprocess.run([binary, *args], env=env, capture_output=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


class InputTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="sr-faults-inputs-")
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        self.value = "inputs-%d-%s" % (os.getpid(), self._testMethodName)
        # Killed before tearDown (ctest's timeout): the firewall goes anyway.
        self.reaped = reaper.watch(self.root, ["env", "SANDBOX_RUN_HOME=" + self.home,
                                               harness.SANDBOX_EGRESS, "disable"])

    def tearDown(self):
        fs.remove_labelled(self.value)
        # A bare `setup` here (test_bad_env_files) uses isolation: internal,
        # whose firewall chain only `disable` removes.
        harness.egress_disable(self.home, clean_env(self.home))
        shutil.rmtree(self.root, ignore_errors=True)
        self.reaped()

    def label(self):
        return ["--label", "%s=%s" % (fs.LABEL, self.value)]

    def assert_clear_error(self, what, r, names, rc=None):
        err = r.stderr.decode(errors="replace")
        self.assertFalse(fs.crashed(r.returncode), "%s: crashed (%s): %s" % (what, r.returncode, err))
        if rc is None:
            self.assertNotEqual(r.returncode, 0, "%s: accepted: %s" % (what, err))
        else:
            self.assertEqual(r.returncode, rc, "%s: %s" % (what, err))
        self.assertTrue(err.strip(), "%s: no error message" % what)
        self.assertLess(len(err), 8192, "%s: an error message of %d bytes" % (what, len(err)))
        if names:
            self.assertTrue(any(n in err for n in names), "%s: the error names none of %s: %s"
                            % (what, names, err))
        return err

    def test_bad_config_yaml(self):
        config = os.path.join(self.home, "config.yaml")
        rows = []
        for name, text in BAD_CONFIGS.items():
            with open(config, "w", encoding="latin-1") as f:
                f.write(text)
            env = clean_env(self.home)
            r = run(harness.SANDBOX_RUN, ["--rm", *self.label(), BUSYBOX, "true"], env)
            err = self.assert_clear_error("sandbox-run with config " + name, r, [config], rc=125)
            rows.append(name)
            for cmd in (["status"], ["start"], ["setup"]):
                r = run(harness.SANDBOX_EGRESS, cmd, clean_env(self.home, KEYS))
                self.assert_clear_error("sandbox-egress %s with config %s" % (cmd[0], name), r,
                                        [config, "config.yaml"])
            self.assertFalse(os.path.exists(os.path.join(self.home, "egress", "daemon.pid")), name)
            self.assertIn("sandbox-run: error:", err)
        self.assertFalse(fs.labelled(self.value))
        print("  bad config.yaml: %d variants refused by sandbox-run and sandbox-egress" % len(rows))

    def test_corrupt_mappings(self):
        s = egress_stack.Stack(fs.PORTS["inputs"], isolation="bridge")
        try:
            r = s.egress("setup", env=s.env(KEYS))
            self.assertEqual(r.returncode, 0, r.stderr)
            path = os.path.join(s.home, "egress", "mappings.json")
            with open(path) as f:
                good = f.read()
            for name, corrupt in BAD_MAPPINGS.items():
                with open(path, "w", encoding="latin-1") as f:
                    f.write(corrupt(good))
                r = run(harness.SANDBOX_RUN, ["--rm", *self.label(), BUSYBOX, "true"], s.env())
                err = self.assert_clear_error("sandbox-run with mappings " + name, r, [path], rc=125)
                self.assertIn("sandbox-egress setup", err)
                r = run(harness.SANDBOX_EGRESS, ["start"], s.engine_env())
                self.assert_clear_error("sandbox-egress start with mappings " + name, r,
                                        [path, "mappings"])
                self.assertFalse(os.path.exists(os.path.join(s.home, "egress", "daemon.pid")),
                                 "start left a daemon with mappings " + name)
                r = run(harness.SANDBOX_EGRESS, ["status"], s.env())
                self.assertFalse(fs.crashed(r.returncode), r.stderr)
            self.assertFalse(fs.labelled(self.value))
            print("  corrupt mappings.json: %d variants refused" % len(BAD_MAPPINGS))
        finally:
            s.cleanup()

    def test_bad_flags(self):
        env = clean_env(self.home)
        for flags in BAD_FLAGS:
            r = run(harness.SANDBOX_RUN, [*self.label(), *flags] + ([BUSYBOX, "true"] if flags else []), env)
            self.assert_clear_error("sandbox-run %s" % flags, r, None, rc=125)
        for args in (["--bogus"], ["setup", "--tunnel-port", "abc"], ["setup", "--tunnel-port", "0"],
                     ["setup", "--engine", "nginx"], ["audit", "tail", "-n", "x"],
                     ["audit", "stats", "--since", "banana"], ["no-such-command"],
                     ["start", "--bogus"], ["serve", "--config", os.path.join(self.root, "missing.yaml")],
                     ["serve", "--threads", "-3"]):
            r = run(harness.SANDBOX_EGRESS, args, clean_env(self.home))
            self.assert_clear_error("sandbox-egress %s" % args, r, None)
        self.assertFalse(fs.labelled(self.value))
        print("  bad flags: %d sandbox-run and 10 sandbox-egress variants refused" % len(BAD_FLAGS))

    def test_bad_env_files(self):
        env = clean_env(self.home)
        rows = []
        cases = dict(BAD_ENV_FILES)
        for name, data in cases.items():
            path = os.path.join(self.root, name + ".env")
            with open(path, "wb") as f:
                f.write(data)
            r = run(harness.SANDBOX_RUN, ["--rm", *self.label(), "--env-file", path, BUSYBOX, "true"], env)
            self.assertFalse(fs.crashed(r.returncode), r.stderr)
            if r.returncode != 0:
                self.assert_clear_error("--env-file " + name, r, [path, name], rc=125)
            rows.append("%s=%d" % (name, r.returncode))
            r = run(harness.SANDBOX_EGRESS, ["setup", "--env-file", path], clean_env(self.home))
            self.assertFalse(fs.crashed(r.returncode), r.stderr)
            if r.returncode != 0:
                self.assert_clear_error("setup --env-file " + name, r, None)
        for what, path in (("missing", os.path.join(self.root, "missing.env")), ("directory", self.root)):
            r = run(harness.SANDBOX_RUN, ["--rm", *self.label(), "--env-file", path, BUSYBOX, "true"], env)
            self.assert_clear_error("--env-file " + what, r, [path], rc=125)
            r = run(harness.SANDBOX_EGRESS, ["setup", "--env-file", path], clean_env(self.home))
            self.assert_clear_error("setup --env-file " + what, r, [path])
        self.assertTrue(fs.wait_for(lambda: not fs.labelled(self.value), 15))
        print("  env files: " + " ".join(rows) + " missing=125 directory=125")


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
