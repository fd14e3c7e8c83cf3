"""Shared helpers for the black-box integration tests (Python 3 stdlib only).

Binaries come from $SR_BIN_DIR (set by ctest; default build/bin). Tests that
need Docker call require_docker(): when SANDBOX_RUN_REQUIRE_DOCKER=1 an
unreachable daemon is a failure with the reason, otherwise the test is skipped
(exit 77, which ctest reports as skipped).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN_DIR = os.environ.get("SR_BIN_DIR", os.path.join(ROOT, "build", "bin"))
SANDBOX_RUN = os.path.join(BIN_DIR, "sandbox-run")
SANDBOX_EGRESS = os.path.join(BIN_DIR, "sandbox-egress")

# Images built locally by scripts/build-images.sh (never pulled).
BUSYBOX_IMAGE = os.environ.get("SR_TEST_IMAGE", "sandbox-run-test/busybox:latest")
TOOLS_IMAGE = os.environ.get("SR_TOOLS_IMAGE", "sandbox-run-test/tools:latest")

SKIP = 77

# Provider credentials of the test runner's own environment: never passed on.
PROVIDER_PREFIXES = ("OPENAI", "ANTHROPIC", "GEMINI", "GOOGLE", "OPENROUTER", "GROQ",
                     "TOGETHER", "DEEPSEEK", "MISTRAL", "XAI", "NOUS", "AZURE", "AWS_")


def docker_socket():
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return host[len("unix://"):] if host.startswith("unix://") else None


def docker_problem():
    """None when the daemon answers /_ping, else the reason it does not."""
    path = docker_socket()
    if path is None:
        r = subprocess.run(["docker", "version"], capture_output=True, text=True)
        return None if r.returncode == 0 else r.stderr.strip()
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(path)
        s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        data = s.recv(4096)
        s.close()
        if b" 200 " not in data.split(b"\r\n", 1)[0] + b" ":
            return "GET /_ping on %s answered %r" % (path, data[:80])
        return None
    except OSError as e:
        return "cannot reach the Docker daemon at %s: %s" % (path, e)


def require_docker():
    problem = docker_problem()
    if problem is None:
        return
    if os.environ.get("SANDBOX_RUN_REQUIRE_DOCKER") == "1":
        print("FAIL: SANDBOX_RUN_REQUIRE_DOCKER=1 but " + problem, file=sys.stderr)
        sys.exit(1)
    print("SKIP: " + problem, file=sys.stderr)
    sys.exit(SKIP)


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(args, **kw)


def inspect(kind, name):
    r = run(["docker", kind, "inspect", name])
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)[0]


def accept_forever(sock, handle, threaded=True):
    """Accepts on the listening `sock` from a daemon thread until the socket
    is closed, and calls handle(conn, peer) for each connection: in a daemon
    thread of its own when `threaded`, else in the accepting thread."""
    def loop():
        while True:
            try:
                conn, peer = sock.accept()
            except OSError:
                return
            if threaded:
                threading.Thread(target=handle, args=(conn, peer), daemon=True).start()
            else:
                handle(conn, peer)
    threading.Thread(target=loop, daemon=True).start()


def alive(pid):
    """True while `pid` runs (not a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def pids_with_arg(fragment):
    """Live processes other than this one whose command line contains `fragment`."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if fragment.encode() in cmd and alive(int(d)) and int(d) != os.getpid():
            out.append(int(d))
    return out


def kill_pids(pids):
    """SIGKILL to each of `pids` (by pid: a test kills only what it started);
    one already gone is skipped."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def home_env(home, root, extra=None, drop=PROVIDER_PREFIXES):
    """The environment for a command on a test's SANDBOX_RUN_HOME: os.environ
    without the variables whose names start with one of `drop`, then
    SANDBOX_RUN_HOME=home, HOME=root, then `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["SANDBOX_RUN_HOME"] = home
    env["HOME"] = root
    env.update(extra or {})
    return env


def egress_disable(home, env=None):
    """Teardown for a test's SANDBOX_RUN_HOME: the real `sandbox-egress
    disable`, which removes the SANDBOX-ISOLATION-<tunnel port> iptables chain
    that setup installs for isolation: internal (and the shared chain with the
    last per-port one). A no-op when the home was never created. Never raises:
    it runs in tearDown/cleanup paths; a rule it could not remove is reported
    on stderr with the chain to delete by hand."""
    if not os.path.isdir(home):
        return
    env = dict(env if env is not None else os.environ, SANDBOX_RUN_HOME=home)
    try:
        r = subprocess.run([SANDBOX_EGRESS, "disable"], env=env, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        problem = "" if r.returncode == 0 else r.stderr.strip()
    except (OSError, subprocess.SubprocessError) as e:
        problem = str(e)
    record = os.path.join(home, "egress", "firewall.subnet")
    if os.path.exists(record):
        with open(record) as f:
            words = f.read().split()
        chain = "SANDBOX-ISOLATION-" + (words[1] if len(words) > 1 else "?")
        print("warning: `sandbox-egress disable` left the firewall of %s in place (%s); "
              "remove it with: iptables -D SANDBOX-ISOLATION -j %s; iptables -F %s; iptables -X %s"
              % (home, problem or "record still present", chain, chain, chain), file=sys.stderr)


def main():
    """unittest.main() that prints a closing 'N passed, N failed' line."""
    prog = unittest.main(exit=False, verbosity=2)
    res = prog.result
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    passed = res.testsRun - failed - len(res.skipped)
    print("%d passed, %d failed, %d skipped" % (passed, failed, len(res.skipped)))
    sys.exit(1 if failed else 0)
