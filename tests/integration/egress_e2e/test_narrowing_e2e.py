"""Per-sandbox narrowing end to end: the real sandbox-run, `sandbox-egress
start` (built-in engine), setup's internal network and interception, a local
HTTPS stand-in for the providers on port 443 of a loopback address of its own.

A sandbox narrowed with --egress-allow api.anthropic.com reaches that host,
and is refused (403 + audit) for api.openai.com, which is allowlisted, on the
proxy path (CONNECT) and the transparent path (proxy variables unset), while
an un-narrowed sandbox running at the same time reaches api.openai.com with
the real key swapped in. The registration survives `sandbox-egress restart`
and is gone once the --rm sandbox has exited."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import egress_stack  # noqa: E402
from egress_stack import KEYS  # noqa: E402

IMAGE = os.environ.get("SR_TOOLS_IMAGE", "sandbox-run-test/tools:latest")
UNSET = "unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy; "
PROBE = r"""
curl -sS -m 20 -o /dev/null -w 'ALLOWED %{http_code}\n' https://api.anthropic.com/v1/allowed -H "x-api-key: $ANTHROPIC_API_KEY"
curl -sS -m 20 -o /dev/null -w 'PROXY %{http_connect}\n' https://api.openai.com/v1/proxy -H "Authorization: Bearer $OPENAI_API_KEY"
(""" + UNSET + r"""curl -sS -m 20 -o /dev/null -w 'DIRECT %{http_code}\n' https://api.openai.com/v1/direct -H "Authorization: Bearer $OPENAI_API_KEY")
"""


class NarrowingE2E(egress_stack.StackCase):
    port = 19482

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_stack(isolation="internal", upstream_port=443,
                        upstream_host=egress_stack.fixtures.own_loopback())
        cls.narrowings = os.path.join(cls.s.home, "egress", "narrowings.json")

    def entries(self):
        with open(self.narrowings) as f:
            return json.load(f)["sandboxes"]

    def audit(self):
        with open(os.path.join(self.s.home, "egress", "audit.log")) as f:
            return [json.loads(l) for l in f if l.strip()]

    def test_narrowed_and_unnarrowed_side_by_side_restart_and_removal(self):
        self.s.upstream.recorder.clear()
        name = "sr-narrow-e2e-%d" % os.getpid()
        # A narrowed sandbox that lives across the engine restart.
        r = self.s.run("-d", "--rm", "--name", name, "--egress-allow", "api.anthropic.com", "--pull", "never",
                       IMAGE, "sleep", "300")
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            self.assertEqual(len(self.entries()), 1)
            self.assertEqual(oct(os.stat(self.narrowings).st_mode & 0o777), "0o600")
            address = self.entries()[0]["address"]
            ip = subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                                 name], capture_output=True, text=True).stdout.strip()
            self.assertEqual(ip, address)

            def probe():
                return subprocess.run(["docker", "exec", name, "sh", "-c", PROBE], capture_output=True,
                                      text=True, timeout=120).stdout
            out = probe()
            self.assertIn("ALLOWED 200", out)
            self.assertIn("PROXY 403", out)
            self.assertIn("DIRECT 403", out)
            # At the same time, an un-narrowed sandbox reaches api.openai.com.
            r = self.s.run("--rm", "--pull", "never", IMAGE, "sh", "-c",
                           "curl -sS -m 20 -o /dev/null -w 'FREE %{http_code}\\n' https://api.openai.com/v1/free "
                           "-H \"Authorization: Bearer $OPENAI_API_KEY\"")
            self.assertIn("FREE 200", r.stdout, r.stderr)
            got = {rec["path"]: rec["headers"] for rec in self.s.upstream.recorder.requests}
            self.assertEqual(got["/v1/free"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])
            self.assertEqual(got["/v1/allowed"]["x-api-key"], KEYS["ANTHROPIC_API_KEY"])
            self.assertNotIn("/v1/proxy", got)
            self.assertNotIn("/v1/direct", got)
            refused = [l for l in self.audit() if l.get("narrowing") == "--egress-allow" and l["decision"] == "reject"]
            self.assertTrue(any(l["method"] == "CONNECT" for l in refused), refused)
            self.assertTrue(any(l.get("path") == "/v1/direct" for l in refused), refused)
            # The engine restarts with the registration in force.
            r = self.s.egress("restart", env=self.s.engine_env())
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = probe()
            self.assertIn("ALLOWED 200", out)
            self.assertIn("PROXY 403", out)
            self.assertIn("DIRECT 403", out)
        finally:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        # A --rm narrowed run removes its own registration when it exits, and
        # its launch pruned the entry of the container removed above.
        r = self.s.run("--rm", "--egress-allow", "api.anthropic.com", "--pull", "never", IMAGE, "true")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.entries(), [])

    def test_refusals_at_launch(self):
        r = self.s.run("--rm", "--egress-allow", "not-allowlisted.test", "--pull", "never", IMAGE, "true")
        self.assertEqual(r.returncode, 125)
        self.assertIn("--egress-allow not-allowlisted.test: host not-allowlisted.test is not on the egress "
                      "allowlist", r.stderr)
        r = self.s.run("--rm", "--egress-profile", "nope", "--pull", "never", IMAGE, "true")
        self.assertEqual(r.returncode, 125)
        self.assertIn("--egress-profile nope: no such profile; profiles are defined under profiles: in", r.stderr)


if __name__ == "__main__":
    unittest.main()
