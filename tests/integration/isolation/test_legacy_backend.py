"""Issue 15 §2: the host firewall and the interception with the legacy
iptables back end. A host that ran `update-alternatives --set iptables
/usr/sbin/iptables-legacy` has `iptables`/`ip6tables` on PATH drive the
ip_tables kernel interface while dockerd's own rules stay where dockerd put
them (nf_tables here). The test puts shims named iptables and ip6tables
(symlinks to the -legacy binaries, which pick their mode from argv[0]) first
on PATH for every `sandbox-egress` command, then proves from real containers
that the legacy rules isolate and intercept beside dockerd's nf_tables nat,
that doctor passes, reports rules left in the other back end, and that
`disable` removes every legacy rule. Whatever is left is swept in teardown.

Every address used is the host's own (the egress network's gateway) or a
loopback address of the stand-in's own."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import harness  # noqa: E402
import egress_stack  # noqa: E402
from egress_stack import KEYS  # noqa: E402

TOOLS = harness.TOOLS_IMAGE
NETWORK = "sandbox-egress"
LEGACY = {"iptables": "/usr/sbin/iptables-legacy", "ip6tables": "/usr/sbin/ip6tables-legacy"}
CHAIN = "SANDBOX-ISOLATION"


def legacy(tool, *args):
    return subprocess.run([LEGACY[tool], "-w", *args], capture_output=True, text=True)


def ours_in_legacy():
    """Every rule or chain of this project in the legacy tables."""
    found = []
    for tool in LEGACY:
        for table in ("filter", "nat"):
            found += [l for l in legacy(tool, "-t", table, "-S").stdout.splitlines() if CHAIN in l]
    return found


def sweep_legacy(bridge, port):
    """Teardown's last word: deletes what this test's home may have left."""
    for tool in LEGACY:
        for _ in range(8):
            if legacy(tool, "-D", "INPUT", "-i", bridge, "-j", CHAIN).returncode != 0:
                break
        for _ in range(8):
            if legacy(tool, "-t", "nat", "-D", "PREROUTING", "-i", bridge, "-j",
                      "%s-NAT-%d" % (CHAIN, port)).returncode != 0:
                break
        for table, chain in (("nat", "%s-NAT-%d" % (CHAIN, port)), ("filter", CHAIN),
                             ("filter", "%s-%d" % (CHAIN, port))):
            legacy(tool, "-t", table, "-F", chain)
        for table, chain in (("nat", "%s-NAT-%d" % (CHAIN, port)), ("filter", CHAIN),
                             ("filter", "%s-%d" % (CHAIN, port))):
            legacy(tool, "-t", table, "-X", chain)


class LegacyBackend(unittest.TestCase):
    port = 19570  # binds port..port+4, below the ephemeral range

    @classmethod
    def setUpClass(cls):
        harness.require_docker()
        for path in LEGACY.values():
            if not os.access(path, os.X_OK):
                raise AssertionError(path + " missing: Debian's iptables package ships it")
        left = ours_in_legacy()
        if left:
            raise AssertionError("the legacy tables already hold SANDBOX-ISOLATION rules this test did not "
                                 "make (another run?): %s" % left)
        cls.shims = tempfile.mkdtemp(prefix="sr-iso-legacy-shims-")
        for name, target in LEGACY.items():
            os.symlink(target, os.path.join(cls.shims, name))
        # Everything started from here on (the stack's commands, its reaper's
        # `disable`) finds the legacy tools first.
        cls.old_path = os.environ["PATH"]
        os.environ["PATH"] = cls.shims + ":" + cls.old_path
        cls.bridge = None
        cls.s = None
        host = egress_stack.fixtures.own_loopback()
        try:
            cls.s = egress_stack.Stack(cls.port, isolation="internal", upstream_port=443, upstream_host=host)
            cls.setup_out = cls.s.egress("setup", env=cls.s.env(cls.s.keys))
            if cls.setup_out.returncode != 0:
                raise RuntimeError("setup: " + cls.setup_out.stdout + cls.setup_out.stderr)
            net = harness.inspect("network", NETWORK)
            cls.bridge = "br-" + net["Id"][:12]
            cls.gateway = net["IPAM"]["Config"][0]["Gateway"]
            r = cls.s.egress("start", env=cls.s.engine_env())
            if r.returncode != 0:
                raise RuntimeError("start: " + r.stdout + r.stderr)
            cls.s.started = True
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.s:
                cls.s.cleanup()
        finally:
            net = None if cls.bridge else harness.inspect("network", NETWORK)
            bridge = cls.bridge or (net and "br-" + net["Id"][:12])
            if bridge:
                sweep_legacy(bridge, cls.port)
            os.environ["PATH"] = cls.old_path
            shutil.rmtree(cls.shims, ignore_errors=True)

    def doctor(self, *checks, path=None):
        env = self.s.env({"PATH": path} if path else None)
        args = ["doctor", "--json", "--image", harness.BUSYBOX_IMAGE] + [a for c in checks for a in ("--check", c)]
        r = self.s.egress(*args, env=env)
        return {c["name"]: c for c in json.loads(r.stdout)["checks"]}

    def test_setup_names_the_legacy_back_end(self):
        self.assertIn("firewall (iptables legacy)", self.setup_out.stderr + self.setup_out.stdout)
        self.assertIn("interception: ", self.setup_out.stderr + self.setup_out.stdout)

    def test_rules_are_in_the_legacy_tables_only(self):
        for tool in LEGACY:
            self.assertIn("-A INPUT -i %s -j %s" % (self.bridge, CHAIN), legacy(tool, "-S", "INPUT").stdout, tool)
        self.assertEqual(legacy("iptables", "-S", "%s-%d" % (CHAIN, self.port)).returncode, 0)
        nat = legacy("iptables", "-t", "nat", "-S").stdout
        self.assertIn("-A PREROUTING -i %s -j %s-NAT-%d" % (self.bridge, CHAIN, self.port), nat)
        self.assertIn("--dport 443 -j DNAT --to-destination %s:%d" % (self.gateway, self.port + 3), nat)
        # Nothing of this home in nf_tables, where dockerd's rules are.
        nft = subprocess.run(["iptables-nft", "-w", "-S", "%s-%d" % (CHAIN, self.port)], capture_output=True)
        self.assertNotEqual(nft.returncode, 0, "the rules went to nf_tables")
        nft_nat = subprocess.run(["iptables-nft", "-w", "-t", "nat", "-S"], capture_output=True, text=True).stdout
        self.assertNotIn("%s-NAT-%d" % (CHAIN, self.port), nft_nat)
        self.assertIn("DOCKER", nft_nat, "dockerd's own nat rules are expected in nf_tables on this host")

    def test_isolated_and_intercepted_from_a_real_container(self):
        p = self.port + 30
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.gateway, p))
        listener.listen(8)
        accepted = []

        def accept():
            try:
                accepted.append(listener.accept())
            except OSError:
                pass  # closed at the end of the test
        threading.Thread(target=accept, daemon=True).start()
        self.s.upstream.recorder.clear()
        code = ("import socket,sys\n"
                "for port in sys.argv[2:]:\n"
                "  try: socket.create_connection((sys.argv[1], int(port)), timeout=3); print('open', port)\n"
                "  except OSError as e: print('closed', port, e)\n")
        script = ("unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy; python3 -c \"$0\" %s %d %d; "
                  "curl -sS -m 20 -o /dev/null -w 'CURL %%{http_code}\\n' https://api.openai.com/v1/legacy "
                  "-H \"Authorization: Bearer $OPENAI_API_KEY\"" % (self.gateway, p, self.port))
        try:
            r = self.s.run("--rm", "--pull", "never", TOOLS, "sh", "-c", script, code)
        finally:
            listener.close()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("closed %d" % p, r.stdout, "a host service on a non-proxy port answered")
        self.assertIn("open %d" % self.port, r.stdout, "the proxy port must answer")
        self.assertEqual(accepted, [])
        self.assertIn("CURL 200", r.stdout, r.stdout + r.stderr)
        got = self.s.upstream.recorder.last()
        self.assertIsNotNone(got, "the stand-in received nothing: the legacy DNAT did not intercept")
        self.assertEqual(got["path"], "/v1/legacy")
        self.assertEqual(got["headers"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])
        self.assertNotIn(KEYS["OPENAI_API_KEY"], r.stdout + r.stderr)

    def test_doctor_passes_with_the_legacy_back_end(self):
        out = self.doctor("firewall", "interception")
        self.assertEqual(out["firewall"]["status"], "pass", out)
        self.assertIn("(legacy)", out["firewall"]["detail"])
        self.assertEqual(out["interception"]["status"], "pass", out)

    def test_doctor_with_nft_on_path_reports_the_legacy_rules(self):
        out = self.doctor("firewall", path=self.old_path)
        self.assertEqual(out["firewall"]["status"], "fail", out)
        self.assertIn("iptables-legacy: chain SANDBOX-ISOLATION exists", out["firewall"]["detail"])
        self.assertIn("iptables-legacy-save", out["firewall"]["fix"])

    def test_z_disable_removes_every_legacy_rule(self):
        if self.s.started:
            self.s.stop()
        r = self.s.egress("disable")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(ours_in_legacy(), [])


if __name__ == "__main__":
    harness.main()
