"""isolation: internal: setup finds or creates the internal Docker network and
binds the proxy on its gateway. Removes the network afterwards only if this
test created it."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from egress_home import Home  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402

NETWORK = "sandbox-egress"


class InternalIsolation(unittest.TestCase):
    def setUp(self):
        harness.require_docker()
        self.h = Home()
        self.existed = harness.inspect("network", NETWORK) is not None

    def tearDown(self):
        self.h.cleanup()
        if not self.existed:
            harness.run(["docker", "network", "rm", NETWORK])

    def test_internal_network_gateway(self):
        r = self.h.run("setup", "--isolation", "internal", env={"OPENAI_API_KEY": "x"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        net = harness.inspect("network", NETWORK)
        self.assertIsNotNone(net)
        self.assertTrue(net["Internal"])
        gateway = net["IPAM"]["Config"][0]["Gateway"]
        with open(self.h.state_path("proxy.yaml")) as f:
            y = f.read()
        self.assertIn("tunnel_listen: %s:9090\n" % gateway, y)
        # A second run finds the same network.
        r2 = self.h.run("setup", env={"OPENAI_API_KEY": "x"})
        self.assertEqual(r2.returncode, 0, r2.stderr)
        self.assertIn(gateway, r2.stdout)

    def test_unreachable_daemon_falls_back(self):
        r = self.h.run("setup", "--isolation", "internal", env={
            "OPENAI_API_KEY": "x", "DOCKER_HOST": "unix://" + os.path.join(self.h.root, "no.sock")})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("internal Docker network", r.stderr)


if __name__ == "__main__":
    harness.main()
