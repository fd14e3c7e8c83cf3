"""Helpers for the fault-injection suite (issue 7 section 3). Python 3 stdlib only.

- LABEL: every container a fault test starts carries it, so "nothing left
  behind" is a `docker ps -a --filter label=...` that must come back empty.
- proc_stats(pid): open fds and VmRSS of a process (the engine's growth checks).
- SlowDocker: a relay in front of the Docker socket that holds the requests
  matching a pattern (image pull, container create) until released, so a
  signal can be sent while sandbox-run is inside that call.
- PrivateDockerd: a second dockerd of our own (own socket, data root, exec
  root, pidfile, own bridge, no iptables), started the way scripts/docker-up.sh
  starts one; the dockerd-restart case restarts it without touching the
  daemon other tests use. Never `--bridge none`: a dockerd started so deletes
  the docker0 interface of the main daemon.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import harness  # noqa: E402

LABEL = "sandbox-run-faults"
# Tunnel ports reserved for this suite: 19400-19449 (a stack uses port, port+1 and port+2).
PORTS = {"kill": 19400, "concurrent": 19405, "engine": 19410, "inputs": 19415, "tmpfs": 19420}


def docker(*args, host=None, timeout=120):
    env = dict(os.environ)
    if host:
        env["DOCKER_HOST"] = host
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, env=env)


def labelled(value=None, host=None):
    """Ids of every container (running or not) carrying the suite's label."""
    flt = LABEL if value is None else "%s=%s" % (LABEL, value)
    r = docker("ps", "-aq", "--no-trunc", "--filter", "label=" + flt, host=host)
    return set(r.stdout.split())


def remove_labelled(value=None, host=None):
    ids = labelled(value, host)
    if ids:
        docker("rm", "-f", *ids, host=host)


def wait_for(pred, timeout, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def proc_stats(pid):
    """(open fds, VmRSS + VmSwap in KiB) of a live process: swapped-out pages
    still count, so memory pressure from elsewhere does not hide growth."""
    fds = len(os.listdir("/proc/%d/fd" % pid))
    mem = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmSwap:")):
                mem += int(line.split()[1])
    return fds, mem


def crashed(rc):
    """A negative status (killed by a signal) or the shell's 128+SIGSEGV/SIGABRT."""
    return rc < 0 or rc in (134, 136, 139)


class SlowDocker:
    """A unix-socket relay to the Docker daemon. A request whose first line
    matches `hold` waits until release() (or hold_timeout) before it is
    forwarded; `held` is set when one arrives."""

    def __init__(self, hold, target=None, hold_timeout=60):
        self.dir = tempfile.mkdtemp(prefix="sr-faults-docker-")
        self.path = os.path.join(self.dir, "docker.sock")
        self.target = target or harness.docker_socket()
        self.hold = re.compile(hold)
        self.hold_timeout = hold_timeout
        self.held = threading.Event()
        self.released = threading.Event()
        self.seen = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(64)
        self.closed = False
        harness.accept_forever(self.sock, self._serve)

    @property
    def host(self):
        return "unix://" + self.path

    def release(self):
        self.released.set()

    def close(self):
        self.closed = True
        self.released.set()
        try:
            self.sock.close()
        except OSError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def _serve(self, client, _peer):
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.target)
        except OSError:
            client.close()
            return
        threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()
        self._pipe(client, upstream, True)

    def _pipe(self, src, dst, requests):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if requests:
                    first = data.split(b"\r\n", 1)[0].decode("latin-1")
                    if re.match(r"^[A-Z]+ /", first):
                        self.seen.append(first)
                        if self.hold.search(first):
                            self.held.set()
                            self.released.wait(self.hold_timeout)
                            if self.closed:
                                break  # closed while held: the request is dropped
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class PrivateDockerd:
    """A dockerd of our own, started like scripts/docker-up.sh starts one
    (setsid, log file, wait for /_ping) with its own socket, data root, exec
    root, pidfile and bridge, and no iptables rules."""

    def __init__(self, root):
        self.root = root
        self.sock = os.path.join(root, "docker.sock")
        self.pidfile = os.path.join(root, "docker.pid")
        self.log = os.path.join(root, "dockerd.log")
        self.host = "unix://" + self.sock
        self.bridge = "srfaults%d" % (os.getpid() % 10000)
        self.proc = None

    def args(self):
        r = self.root
        return ["dockerd", "-H", self.host, "--data-root", os.path.join(r, "data"),
                "--exec-root", os.path.join(r, "exec"), "--pidfile", self.pidfile,
                "--bridge", self.bridge, "--iptables=false", "--ip6tables=false", "--ip-masq=false"]

    def ensure_bridge(self):
        """A bridge of our own (a Docker bridge address, no route anywhere)."""
        if subprocess.run(["ip", "link", "show", self.bridge], capture_output=True).returncode == 0:
            return
        for cmd in (["ip", "link", "add", self.bridge, "type", "bridge"],
                    ["ip", "addr", "add", "172.31.250.1/24", "dev", self.bridge],
                    ["ip", "link", "set", self.bridge, "up"]):
            subprocess.run(cmd, check=True, capture_output=True)

    def ping(self):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(3)
                s.connect(self.sock)
                s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                data = s.recv(4096)
            return b" 200 " in data.split(b"\r\n", 1)[0] + b" "
        except OSError:
            return False

    def pid(self):
        """The running dockerd's pid (a dead child of ours is reaped, not counted)."""
        if self.proc is not None and self.proc.poll() is not None:
            self.proc = None
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
            os.kill(pid, 0)
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return None
            return pid
        except (OSError, ValueError, IndexError):
            return None

    def start(self, wait=60):
        if self.ping():
            return
        if self.pid() is None:
            self.ensure_bridge()
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(self.args(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True)
        if not wait_for(self.ping, wait, 0.5):
            with open(self.log, errors="replace") as f:
                tail = f.read()[-3000:]
            raise RuntimeError("private dockerd did not answer within %d s:\n%s" % (wait, tail))

    def start_with_image(self, image):
        """start() and load_image(); a daemon that fails half-way is destroyed."""
        try:
            self.start()
            self.load_image(image)
        except Exception:
            self.destroy()
            raise

    def stop(self, wait=60, sig=signal.SIGTERM):
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, sig)
        if not wait_for(lambda: self.pid() is None, wait, 0.2):
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: self.pid() is None, 10, 0.2)

    def restart(self):
        self.stop()
        self.start()

    def load_image(self, image):
        """Copies a local image of the main daemon into this one (docker save | load)."""
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        env = dict(os.environ, DOCKER_HOST=self.host)
        load = subprocess.run(["docker", "load", "-q"], stdin=save.stdout, capture_output=True,
                              text=True, env=env, timeout=120)
        save.stdout.close()
        save.wait(60)
        if load.returncode != 0 or save.returncode != 0:
            raise RuntimeError("copying %s into the private dockerd: %s" % (image, load.stderr))

    def own_processes(self):
        """Pids whose command line names our root (our containerd and shims)."""
        return harness.pids_with_arg(self.root)

    def kill_own_processes(self):
        """SIGKILL to a containerd (and shims) of ours left by a killed dockerd, by pid."""
        harness.kill_pids(self.own_processes())
        wait_for(lambda: not self.own_processes(), 10)

    def unmount_all(self):
        with open("/proc/mounts") as f:
            mounts = [line.split()[1] for line in f if self.root in line.split()[1]]
        for m in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)

    def recover_after_crash(self):
        """Starts it again after a SIGKILL: the runtime state a crash leaves
        (containerd's, in the exec root, normally on a tmpfs that a reboot
        clears) is dropped first, or containerd times out on the dead shims."""
        self.stop(sig=signal.SIGKILL)
        self.kill_own_processes()
        self.unmount_all()
        shutil.rmtree(os.path.join(self.root, "exec"), ignore_errors=True)
        self.start()

    def destroy(self):
        """Stops the daemon and removes its data (unmounting what it left mounted)."""
        env = dict(os.environ, DOCKER_HOST=self.host)
        if self.ping():
            ids = subprocess.run(["docker", "ps", "-aq"], capture_output=True, text=True,
                                 env=env).stdout.split()
            if ids:
                subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, env=env)
        self.stop()
        self.kill_own_processes()
        self.unmount_all()
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
