"""sandbox-egress doctor and audit, against the real binaries and dockerd.

The daemon binds the Docker bridge (isolation: bridge); the doctor's
reachability probe is a real container. Nothing leaves the machine: the
canary swap runs inside the engine.

Tunnel port 19350 (this suite's range on the shared machine: 19350-19359; the
daemon binds the tunnel port, +1 and +2). Fixed and below 32768: a port in the
kernel's ephemeral range (32768-60999) can be taken meanwhile by any outgoing
connection's source port, and the daemon then fails to bind.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402

REAL_KEY = "sk-doctor-test-real-0123456789"


TUNNEL_PORT = 19350


class DoctorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.mkdtemp(prefix="sr-doctor-")
        cls.env = dict(os.environ, SANDBOX_RUN_HOME=cls.home, OPENAI_API_KEY=REAL_KEY)
        cls.port = TUNNEL_PORT
        try:
            cls.egress(["setup", "--isolation", "bridge", "--tunnel-port", str(cls.port)], check=True)
            cls.egress(["start"], check=True)
        except BaseException:
            cls.tearDownClass()  # unittest skips tearDownClass when setUpClass raises
            raise

    @classmethod
    def tearDownClass(cls):
        cls.egress(["stop"])
        harness.egress_disable(cls.home, cls.env)
        shutil.rmtree(cls.home, ignore_errors=True)

    @classmethod
    def egress(cls, args, check=False, env=None):
        r = harness.run([harness.SANDBOX_EGRESS] + args, env=env or cls.env, text=True)
        if check and r.returncode != 0:
            raise AssertionError("sandbox-egress %s: %s%s" % (args, r.stdout, r.stderr))
        return r

    def doctor(self, *extra, env=None):
        r = self.egress(["doctor", "--json", "--image", harness.BUSYBOX_IMAGE] + list(extra), env=env)
        return r, json.loads(r.stdout)

    def test_all_checks_pass_on_a_healthy_setup(self):
        r, out = self.doctor()
        by_name = {c["name"]: c for c in out["checks"]}
        self.assertEqual(r.returncode, 0, out)
        self.assertTrue(out["ok"])
        for name in ("engine", "config", "ca", "mappings", "daemon", "listener", "reachability",
                     "canary", "deny-metadata"):
            self.assertEqual(by_name[name]["status"], "pass", by_name[name])
        self.assertNotIn(REAL_KEY, r.stdout + r.stderr)

    def test_canary_notices_a_different_key_in_the_daemon(self):
        env = dict(self.env, OPENAI_API_KEY="sk-some-other-value")
        r, out = self.doctor("--check", "canary", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(out["checks"][0]["status"], "fail")
        self.assertNotIn("sk-some-other-value", r.stdout)
        self.assertNotIn(REAL_KEY, r.stdout)

    def test_check_filters_and_no_network_skips_probes(self):
        r, out = self.doctor("--check", "ca", "--check", "reachability", "--no-network")
        self.assertEqual([c["name"] for c in out["checks"]], ["ca", "reachability"])
        self.assertEqual(out["checks"][1]["status"], "skip")

    def test_unknown_check_is_a_usage_error(self):
        r = self.egress(["doctor", "--check", "nope"])
        self.assertEqual(r.returncode, 2)


AUDIT_LINES = [
    {"time": "2026-01-01T00:00:00.000Z", "client": "172.17.0.2:1", "method": "GET", "host": "api.openai.com",
     "path": "/v1/models", "status": 200, "bytes_in": 0, "bytes_out": 10, "duration_ms": 1.0,
     "decision": "allow", "reason": "", "secrets_swapped": ["OPENAI_API_KEY"]},
    {"time": "2099-01-01T00:00:00.000Z", "client": "172.17.0.2:2", "method": "CONNECT", "host": "evil.test",
     "path": "evil.test:443", "status": 403, "bytes_in": 0, "bytes_out": 0, "duration_ms": 0.0,
     "decision": "reject", "reason": "host not on the allowlist", "secrets_swapped": []},
]


class AuditTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sr-audit-")
        self.log = os.path.join(self.dir, "audit.log")
        with open(self.log, "w") as f:
            for line in AUDIT_LINES:
                f.write(json.dumps(line) + "\n")
            f.write("this is not json\n")
        self.env = dict(os.environ, SANDBOX_RUN_HOME=self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def audit(self, *args):
        return harness.run([harness.SANDBOX_EGRESS, "audit", "--file", self.log] + list(args),
                           env=self.env, text=True)

    def test_stats_count_unparsed_and_flag_refusals(self):
        r = self.audit("stats", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["total"], 2)
        self.assertEqual(out["unparsed"], 1)
        self.assertIn("evil.test", out["flagged_hosts"])

    def test_since_filters_and_tail(self):
        r = self.audit("--since", "2030-01-01", "tail", "-n", "5")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertIn("evil.test", lines[0])
        self.assertIn("could not be parsed", r.stderr)

    def test_grep_and_csv_export(self):
        r = self.audit("grep", "openai")
        self.assertEqual(len(r.stdout.strip().splitlines()), 1)
        r = self.audit("export", "--format", "csv")
        rows = r.stdout.strip().splitlines()
        self.assertTrue(rows[0].startswith("time,client,method,host"))
        self.assertEqual(len(rows), 3)

    def test_bad_since_names_the_value(self):
        r = self.audit("--since", "yesterday", "stats")
        self.assertEqual(r.returncode, 2)
        self.assertIn("yesterday", r.stderr)


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
