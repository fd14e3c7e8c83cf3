"""Issue 15 §3 with egress on: config.yaml's `sandbox.runtime` selects a
runtime the daemon registers, the sandbox runs under it on the internal
egress network and still reaches the proxy.

The shared dockerd cannot be given a runtime (it is never reconfigured by a
test), so this runs the whole egress stack against a private dockerd that
registers `recording`, a wrapper around runc that logs each call: `sandbox-egress
setup` creates the internal network on that daemon (its bridge lives in the
host's network namespace like any other, so the host firewall and the
interception rules apply to it), `start` binds the engine on its gateway, and
`sandbox-run` launches there. The private dockerd runs with --iptables=false
(it must not touch the host's Docker rules) and allocates networks from a
pool of its own so its bridge cannot overlap the shared daemon's. The image is
busybox (the only one copied in): it proves the path with a raw CONNECT to the
proxy, not a TLS client; the TLS path is the egress_e2e suites'."""
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import harness  # noqa: E402
import egress_stack  # noqa: E402

BUSYBOX = harness.BUSYBOX_IMAGE
POOL = "172.31.252.0/24"


class RuntimeWithEgress(unittest.TestCase):
    port = 19600

    @classmethod
    def setUpClass(cls):
        harness.require_docker()
        if os.geteuid() != 0:
            raise unittest.SkipTest("starting a private dockerd needs root")
        import recording_runtime
        cls.daemon, cls.root, cls.record = recording_runtime.start(
            "sr-iso-rt-egress-", BUSYBOX, ["--default-address-pool", "base=%s,size=28" % POOL])
        # Every docker call from here on (the stack's, harness.inspect) goes
        # to the private daemon.
        cls.old_host = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = cls.daemon.host
        cls.s = None
        try:
            cls.s = egress_stack.Stack(cls.port, isolation="internal",
                                       extra_config="sandbox:\n  runtime: recording\n")
            cls.s.setup_and_start()
        except Exception:
            cls.tearDownClass()
            raise
        net = harness.inspect("network", "sandbox-egress")
        cls.gateway = net["IPAM"]["Config"][0]["Gateway"]

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.s:
                cls.s.cleanup()
            harness.run(["docker", "network", "rm", "sandbox-egress"])
        finally:
            if cls.old_host is None:
                os.environ.pop("DOCKER_HOST", None)
            else:
                os.environ["DOCKER_HOST"] = cls.old_host
            cls.daemon.destroy()
            shutil.rmtree(cls.root, ignore_errors=True)

    def test_the_network_is_the_private_daemons(self):
        self.assertTrue(harness.inspect("network", "sandbox-egress")["Internal"])
        self.assertTrue(self.gateway.startswith("172.31.252."), self.gateway)

    def test_sandbox_runs_under_the_configured_runtime_and_reaches_the_proxy(self):
        name = "sr-iso-rt-egress-%d" % os.getpid()
        script = ("printf 'CONNECT api.openai.com:443 HTTP/1.1\\r\\nHost: api.openai.com:443\\r\\n\\r\\n' "
                  "| nc -w 5 %s %d | head -1; "
                  "nc -w 3 %s %d </dev/null && echo open:other || echo closed:other; exit 77"
                  % (self.gateway, self.port, self.gateway, self.port + 40))
        r = self.s.run("--pull", "never", "--name", name, BUSYBOX, "sh", "-c", script)
        try:
            self.assertEqual(r.returncode, 77, r.stdout + r.stderr)
            self.assertIn("HTTP/1.1 200", r.stdout, "the proxy did not open the tunnel: " + r.stdout + r.stderr)
            self.assertIn("closed:other", r.stdout)
            box = harness.inspect("container", name)
            self.assertEqual(box["HostConfig"]["Runtime"], "recording")
            self.assertIn("sandbox-egress", box["NetworkSettings"]["Networks"])
            with open(self.record) as f:
                runs = f.read()
            self.assertIn(box["Id"], runs, "the recording runtime never saw the container")
        finally:
            harness.run(["docker", "rm", "-f", name])


if __name__ == "__main__":
    harness.main()
