"""Kills what a test left behind when the test process dies without cleaning
up (ctest's timeout SIGKILLs it, or someone runs kill -9).

`sandbox-egress start` daemonizes the engine (fork, setsid, then the CLI
exits), so the engine's parent is not the test and neither PR_SET_PDEATHSIG
nor the test's process group reaches it. Instead the test starts this script,
which detaches itself (double fork + setsid: ctest's timeout kills the test's
process tree, which then no longer includes it) and blocks reading a pipe
whose only write end the test holds. The kernel closes that end when the test
dies, however it dies:

- "done" then EOF (the test cleaned up itself): exit;
- EOF alone (the test died): SIGTERM, then SIGKILL after a grace period,
  every process whose command line or environment names `root` (the test's
  temporary directory, so SANDBOX_RUN_HOME and --config paths inside it),
  run the optional `last` command (e.g. `sandbox-egress disable`, which
  removes the test's iptables chain), then remove `root`.

Usage from a test: watch(root[, last]) below; call the returned function once
the test has cleaned up. The reaper gets root and last through its
environment, so its command line names none of the test's files (tests that
look for processes naming their home in /proc/*/cmdline do not find it).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

GRACE = 3.0  # seconds between SIGTERM and SIGKILL

# The write ends of the pipes, kept open for the life of the test process.
_open = []


def watch(root, last=None):
    """Starts a detached reaper for `root`; returns done(), which tells it
    that the test cleaned up and it may exit without killing anything.
    `last`: an argv to run (with the test's environment) after the kills."""
    r, w = os.pipe()  # non-inheritable: no other child of the test holds w
    # The intermediate process forks the reaper and exits at once.
    env = dict(os.environ, SR_REAPER=json.dumps({"root": os.path.abspath(root), "last": last or []}))
    subprocess.run([sys.executable, os.path.abspath(__file__)], stdin=r, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=30)
    os.close(r)
    _open.append(w)

    def done():
        if w in _open:
            _open.remove(w)
            try:
                os.write(w, b"done")
            finally:
                os.close(w)
    return done


def _names(pid, root):
    needle = root.encode()
    for part in ("cmdline", "environ"):
        try:
            with open("/proc/%d/%s" % (pid, part), "rb") as f:
                if needle in f.read():
                    return True
        except OSError:
            pass
    return False


def _left_behind(root):
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me and _names(int(p), root)]


def _reap(root, last):
    pids = _left_behind(root)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.time() + GRACE
        while pids and time.time() < deadline:
            time.sleep(0.1)
            pids = [p for p in pids if os.path.exists("/proc/%d" % p) and _names(p, root)]
    if last:
        try:
            subprocess.run(last, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        except (OSError, subprocess.SubprocessError):
            pass
    shutil.rmtree(root, ignore_errors=True)


def _main(root, last):
    os.environ.pop("SR_REAPER", None)  # not for `last`
    if os.fork() > 0:
        os._exit(0)  # the intermediate: the reaper is reparented away from the test
    os.setsid()
    data = b""
    while True:
        chunk = os.read(0, 64)
        if not chunk:
            break
        data += chunk
    if data != b"done":
        _reap(root, last)
    os._exit(0)


if __name__ == "__main__":
    args = json.loads(os.environ["SR_REAPER"])
    _main(args["root"], args["last"])
