#!/usr/bin/env python3
"""Differential suite: every case in cases.py runs through `docker run` and
through `sandbox-run` against the real daemon; stdout, the exit code, stderr
where it is the container's own, and the created container's configuration
(docker inspect, relevant Config/HostConfig fields) must be the same.

Every container carries the label sr-diff-run=<run id> and is removed at the
end, also when a case fails. Images are the local test images only; nothing
is pulled from anywhere but the local registry at 127.0.0.1:5000.
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
from cases import CASES, NO_CASE, OPTION_CASES, PODMAN_DIFFERENCES  # noqa: E402

# SR_DIFF_TARGET=podman: the daemon is Podman's compat API; the cases that
# show a known Podman difference are left out (cases.PODMAN_DIFFERENCES).
# The registry copy of the test image is pushed through dockerd and not
# loaded into Podman's store: pulls from the local registry are proven
# against dockerd only.
if os.environ.get("SR_DIFF_TARGET") == "podman":
    CASES = {n: c for n, c in CASES.items()
             if n not in PODMAN_DIFFERENCES and c.get("needs") != "registry"}

# SR_DIFF_CASES=a,b,c runs only those cases (e.g. the subset for Podman).
if os.environ.get("SR_DIFF_CASES"):
    _only = os.environ["SR_DIFF_CASES"].split(",")
    CASES = {n: c for n, c in CASES.items() if n in _only}

RUN_ID = "%d-%d" % (os.getpid(), int(time.time()))
LABEL = "sr-diff-run=" + RUN_ID
REGISTRY = "127.0.0.1:5000"
REG_IMG = REGISTRY + "/sandbox-run-test/busybox:latest"
TIMEOUT = 60
WORKERS = int(os.environ.get("SR_DIFF_WORKERS", "4"))

CONFIG_FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Hostname", "Labels", "Tty",
                 "OpenStdin", "StdinOnce", "AttachStdin", "AttachStdout", "AttachStderr",
                 "ExposedPorts", "Volumes", "StopSignal", "StopTimeout", "Image", "Healthcheck",
                 "Domainname", "MacAddress"]
HOST_FIELDS = ["Binds", "Mounts", "PortBindings", "NanoCpus", "Memory", "Tmpfs", "Init",
               "ExtraHosts", "NetworkMode", "CapAdd", "CapDrop", "SecurityOpt", "Ulimits",
               "ShmSize", "Privileged", "ReadonlyRootfs", "PidsLimit", "AutoRemove",
               "MaskedPaths", "ReadonlyPaths", "RestartPolicy", "MemorySwappiness", "LogConfig", "Dns",
               "DnsSearch", "DnsOptions", "Sysctls", "GroupAdd", "PublishAllPorts", "Links", "CpuShares",
               "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems",
               "MemoryReservation", "MemorySwap", "KernelMemory", "OomKillDisable", "OomScoreAdj",
               "BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
               "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "DeviceCgroupRules", "DeviceRequests",
               "CgroupnsMode", "CgroupParent", "StorageOpt", "VolumeDriver", "ContainerIDFile", "IpcMode",
               "PidMode", "UTSMode", "UsernsMode", "Devices", "Runtime"]


def registry_problem():
    try:
        with urllib.request.urlopen("http://%s/v2/" % REGISTRY, timeout=3):
            pass
    except Exception as e:  # noqa: BLE001 - any failure means "not up"
        return "the local registry at %s does not answer (%s); run scripts/registry-up.sh" % (REGISTRY, e)
    if harness.inspect("image", REG_IMG) is None:
        return "%s is not in the local image store; run scripts/registry-up.sh" % REG_IMG
    return None


def docker_rm(*names):
    if names:
        harness.run(["docker", "rm", "-f", "-v"] + list(names))


def inspect_config(name):
    info = harness.inspect("container", name)
    if info is None:
        return None
    cfg = {k: info["Config"].get(k) for k in CONFIG_FIELDS}
    host = {k: info["HostConfig"].get(k) for k in HOST_FIELDS}
    if cfg["Labels"]:  # sandbox-run's ownership label (stop/kill/rm/exec)
        cfg["Labels"].pop("io.sandbox-run.managed", None)
    if cfg["Hostname"] == info["Id"][:12]:
        cfg["Hostname"] = "<container id>"
    if cfg["Env"]:  # Podman puts HOSTNAME=<container id> in Config.Env
        cfg["Env"] = [e.replace(info["Id"][:12], "<container id>") if e.startswith("HOSTNAME=") else e
                      for e in cfg["Env"]]
    for field, d in (("Env", cfg), ("Binds", host)):
        if d.get(field):
            d[field] = sorted(d[field])
    # The endpoint on a user-defined network: its IPAM request and aliases
    # (less the container's short ID, which the daemon adds).
    endpoint = {}
    for net, ep in (info.get("NetworkSettings", {}).get("Networks") or {}).items():
        if net in ("bridge", "host", "none"):
            continue
        endpoint[net] = {"IPAMConfig": ep.get("IPAMConfig"),
                         "Aliases": sorted(a for a in (ep.get("Aliases") or []) if a != info["Id"][:12])}
    # Each side's own name appears in --link and --cidfile values.
    text = json.dumps({"Config": cfg, "HostConfig": host, "Endpoint": endpoint}).replace(name, "@NAME@")
    return json.loads(text)


def wait_running(name, deadline):
    while time.time() < deadline:
        info = harness.inspect("container", name)
        if info and info["State"]["Running"]:
            return True
        time.sleep(0.1)
    return False


class Outcome:
    def __init__(self, rc, out, err, name):
        self.rc, self.out, self.err, self.name = rc, out, err, name
        self.gone = None    # --rm cases: whether the container disappeared
        self.config = None  # inspect_config() of the container


class Differential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sr-diff-")
        os.chmod(cls.dir, 0o755)
        with open(os.path.join(cls.dir, "hello.txt"), "w") as f:
            f.write("hello from the host\n")
        with open(os.path.join(cls.dir, "vars.env"), "w") as f:
            f.write("# comment\n\nFILE_VAR=from-file\n")
        with open(os.path.join(cls.dir, "labels.list"), "w") as f:
            f.write("# labels\n\na=from-file\nb=file\n   spaced=yes\nbare\n")
        cls.volume = "sr-diff-vol-" + RUN_ID
        cls.network = "sr-diff-net-" + RUN_ID
        cls.link_target = "sr-diff-link-" + RUN_ID
        for cmd in (["docker", "network", "create", "--label", LABEL, cls.network],
                    ["docker", "run", "-d", "--pull", "never", "--label", LABEL, "--name", cls.link_target,
                     harness.BUSYBOX_IMAGE, "sleep", "600"]):
            r = harness.run(cmd)
            if r.returncode != 0:
                raise RuntimeError("setup: %s: %s" % (" ".join(cmd), r.stderr.decode()))
        # Cases are independent (unique names, distinct host ports), so they
        # run concurrently up front; each test then checks its recorded
        # outcome. The daemon's container start latency dominates the suite.
        runner = cls()
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = {n: pool.submit(runner.execute_case, n, c) for n, c in CASES.items()}
        cls.results = {}
        for n, f in futures.items():
            try:
                cls.results[n] = f.result()
            except Exception as e:  # noqa: BLE001 - reported by the case's test
                cls.results[n] = e

    @classmethod
    def tearDownClass(cls):
        r = harness.run(["docker", "ps", "-aq", "--filter", "label=" + LABEL])
        docker_rm(*r.stdout.decode().split())
        harness.run(["docker", "volume", "rm", "-f", cls.volume])
        harness.run(["docker", "network", "rm", cls.network])
        shutil.rmtree(cls.dir, ignore_errors=True)

    # --- running one side
    def expand(self, case, side, case_name):
        name = "sr-diff-%s-%s-%s" % (RUN_ID, case_name.replace("_", "-"), side)
        subst = {"@IMG@": harness.BUSYBOX_IMAGE, "@REG_IMG@": REG_IMG, "@DIR@": self.dir,
                 "@VOL@": self.volume, "@NAME@": name, "@RUN@": RUN_ID,
                 "@NET@": self.network, "@LINK@": self.link_target}
        args = []
        for a in case["args"]:
            for k, v in subst.items():
                a = a.replace(k, v)
            args.append(a)
        prefix = ["--label", LABEL]
        if "--name" not in case["args"]:
            prefix += ["--name", name]
        elif "@NAME@" not in case["args"]:
            name = args[args.index("--name") + 1]
        if "--pull" not in case["args"]:
            prefix += ["--pull", "never"]  # never reach a public registry
        return prefix + args, name

    def run_side(self, case, case_name, side):
        args, name = self.expand(case, side, case_name)
        cmd = (["docker", "run"] if side == "docker" else [harness.SANDBOX_RUN]) + args
        # No egress here: sandbox-run's one-line note on a terminal is not docker's output.
        env = dict(os.environ, SANDBOX_RUN_HINTS="false", **case.get("env", {}))
        env.pop("UNSET_XYZ", None)
        mode = case.get("mode", "plain")
        if mode == "tty":
            return self.run_tty(cmd, env, case.get("stdin"), name)
        if mode == "signal":
            return self.run_signal(cmd, env, name)
        stdin = case.get("stdin")
        r = subprocess.run(cmd, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                           capture_output=True, env=env, timeout=TIMEOUT)
        return Outcome(r.returncode, r.stdout, r.stderr, name)

    def run_tty(self, cmd, env, stdin, name):
        master, slave = pty.openpty()
        p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                             start_new_session=True)
        os.close(slave)
        if stdin is not None:
            wait_running(name, time.time() + 20)
            time.sleep(0.3)  # the client has put its terminal in raw mode by now
            os.write(master, stdin)
        out = b""
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every slave end closed
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        rc = p.wait(timeout=TIMEOUT)
        os.close(master)
        return Outcome(rc, out.replace(b"\r\n", b"\n"), b"", name)

    def run_signal(self, cmd, env, name):
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        try:
            if not wait_running(name, time.time() + 20):
                raise RuntimeError("container %s never ran" % name)
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=TIMEOUT)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        return Outcome(p.returncode, out, err, name)

    # --- executing (concurrently) and comparing (in the test)
    def execute_case(self, case_name, case):
        """Runs both sides; returns what the test compares, or a str reason to skip."""
        if case.get("needs") == "registry":
            problem = registry_problem()
            if problem:
                return problem
        if case.get("setup") == "duplicate":
            args, _ = self.expand(case, "setup", case_name)
            r = harness.run(["docker", "create"] + [a for a in args if a not in ("--pull", "never")])
            if r.returncode != 0:
                raise RuntimeError("setup: docker create: %s" % r.stderr.decode())
        rec = {}
        try:
            if case.get("serial") or case.get("mode") == "signal":
                rec["docker"] = self.run_side(case, case_name, "docker")
                rec["sandbox-run"] = self.run_side(case, case_name, "sandbox-run")
            else:
                with ThreadPoolExecutor(max_workers=2) as pool:
                    futs = {side: pool.submit(self.run_side, case, case_name, side)
                            for side in ("docker", "sandbox-run")}
                    rec = {side: f.result() for side, f in futs.items()}
            for o in rec.values():
                if case.get("mode") == "detach":
                    harness.run(["docker", "wait", o.name])
                if case.get("check_removed") or (case.get("mode") == "detach" and "--rm" in case["args"]):
                    o.gone = self.gone(o.name)
                o.config = inspect_config(o.name) if case.get("inspect", True) else None
                if case.get("cidfile"):
                    path = os.path.join(self.dir, o.name + ".cid")
                    info = harness.inspect("container", o.name)
                    with open(path) as f:
                        o.cid = (f.read(), info["Id"] if info else None)
        finally:
            docker_rm(*[o.name for o in rec.values()])
        return rec

    def check_case(self, case_name, case):
        rec = self.results[case_name]
        if isinstance(rec, Exception):
            raise rec
        if isinstance(rec, str):
            if os.environ.get("SANDBOX_RUN_REQUIRE_DOCKER") == "1":
                self.fail(rec)
            self.skipTest(rec)
        d, s = rec["docker"], rec["sandbox-run"]
        what = "case %s\n docker rc=%s err=%r\n sandbox-run rc=%s err=%r" % (
            case_name, d.rc, d.err[-600:], s.rc, s.err[-600:])
        if case["rc"] is not None:
            self.assertEqual(d.rc, case["rc"], "docker itself gave an unexpected status; " + what)
        self.assertEqual(s.rc, d.rc, "exit code differs; " + what)
        mode = case.get("mode", "plain")
        if mode == "detach":
            for o in (d, s):
                self.assertRegex(o.out.decode(), r"^[0-9a-f]{64}\n$", what)
        else:
            self.assertEqual(s.out, d.out, "stdout differs; " + what)
        if case.get("stderr"):
            self.assertEqual(s.err, d.err, "stderr differs; " + what)
        if d.rc == 125:
            self.assertIn(b"error", s.err.lower(), "sandbox-run must say what failed; " + what)
        for o in (d, s):
            if getattr(o, "cid", None) is not None:
                self.assertEqual(o.cid[0], o.cid[1], "%s: the --cidfile does not hold the ID" % o.name)
            if getattr(o, "gone", None) is not None:
                self.assertTrue(o.gone, "%s still exists after --rm" % o.name)
        if case.get("inspect", True):
            self.assertIsNotNone(d.config, "docker's container %s is missing" % d.name)
            self.assertIsNotNone(s.config, "sandbox-run's container %s is missing" % s.name)
            diffs = ["%s.%s: docker %r, sandbox-run %r" % (part, k, v, s.config[part][k])
                     for part in ("Config", "HostConfig")
                     for k, v in d.config[part].items() if s.config[part][k] != v]
            self.assertEqual(diffs, [], "configuration differs; " + what)

    def gone(self, name):
        deadline = time.time() + 10
        while time.time() < deadline:
            if harness.inspect("container", name) is None:
                return True
            time.sleep(0.1)
        return False


def docker_run_options():
    """The long names `docker run --help` lists."""
    out = subprocess.run(["docker", "run", "--help"], capture_output=True, text=True).stdout
    return sorted(set(re.findall(r"^\s+(?:-\w, )?--([a-z0-9-]+)", out, re.M)))


class Coverage(unittest.TestCase):
    def test_every_docker_run_option_has_a_case_or_a_reason(self):
        if os.environ.get("SR_DIFF_TARGET") == "podman":
            self.skipTest("the Docker CLI lists other options for a daemon that is not Docker Engine")
        listed = docker_run_options()
        self.assertGreater(len(listed), 90)
        missing = [o for o in listed if o not in OPTION_CASES and o not in NO_CASE]
        self.assertEqual(missing, [], "docker run options without a differential case")

    def test_sandbox_run_knows_every_docker_run_option(self):
        r = subprocess.run([harness.SANDBOX_RUN, "--help"], capture_output=True, text=True)
        known = set(re.findall(r"^\s+(?:-\w, )?--([a-z0-9-]+)", r.stdout, re.M))
        for option in docker_run_options():
            if option in known:
                continue
            r = subprocess.run([harness.SANDBOX_RUN, "--" + option, "x", harness.BUSYBOX_IMAGE],
                               capture_output=True, text=True)
            self.assertIn("unsupported option --" + option + ": ", r.stderr, "--%s is neither supported "
                          "nor refused with a reason" % option)


def report_counts():
    listed = docker_run_options()
    r = subprocess.run([harness.SANDBOX_RUN, "--help"], capture_output=True, text=True)
    known = set(re.findall(r"^\s+(?:-\w, )?--([a-z0-9-]+)", r.stdout, re.M))
    supported = [o for o in listed if o in known]
    print("differential: %d cases; docker run --help lists %d options: %d supported by sandbox-run, "
          "%d refused by name; %d options have a case (%d without: %s)"
          % (len(CASES), len(listed), len(supported), len(listed) - len(supported),
             len([o for o in listed if o in OPTION_CASES]), len([o for o in listed if o not in OPTION_CASES]),
             ", ".join(o for o in listed if o not in OPTION_CASES)), file=sys.stderr)


def make_test(case_name, case):
    def test(self):
        self.check_case(case_name, case)
    test.__name__ = "test_" + case_name
    return test


for _name, _case in CASES.items():
    setattr(Differential, "test_" + _name, make_test(_name, _case))


def preflight():
    harness.require_docker()
    if not os.access(harness.SANDBOX_RUN, os.X_OK):
        print("FAIL: %s is not built" % harness.SANDBOX_RUN, file=sys.stderr)
        sys.exit(1)
    if harness.inspect("image", harness.BUSYBOX_IMAGE) is None:
        print("FAIL: test image %s is missing; run scripts/build-images.sh" % harness.BUSYBOX_IMAGE,
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    preflight()
    report_counts()
    harness.main()
