"""A small wrapper an agent backend would write around sandbox-run (Python 3
standard library only).

    client = SandboxClient()
    client.preflight()                       # sandbox-egress status --json
    result = client.run("my-agent-image", ["python3", "tool.py"], timeout=60,
                        on_output=lambda stream, line: print(stream, line, end=""))
    result.exit_code                         # the container's own status

Exit statuses are mapped the way `docker run` defines them: 125 is the
launcher's own failure (LauncherError), 126 a command that cannot be invoked
(CommandNotExecutable), 127 one that does not exist (CommandNotFound), anything
else is the container's status. A launch the egress policy refuses is told
apart before anything is created: `sandbox-run --dry-run` runs the same checks
and exits 125 on a refusal (SandboxRefused); its JSON names the egress outcome.

A timeout or a cancel (threading.Event) force-removes the container through
the Docker Engine API (DELETE /containers/NAME?force=1, which kills it: a
shell as PID 1 ignores SIGTERM), then reaps sandbox-run.
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

LAUNCHER_FAILED, NOT_EXECUTABLE, NOT_FOUND = 125, 126, 127


class SandboxError(Exception):
    """Base of every error this module raises."""


class EgressNotReady(SandboxError):
    """Preflight: `sandbox-egress status --json` reports a problem."""

    def __init__(self, problems, status):
        super().__init__("egress is not ready: " + "; ".join(problems))
        self.problems = problems
        self.status = status


class LauncherError(SandboxError):
    """sandbox-run exited 125: its own failure (daemon, image, flag); nothing ran."""

    def __init__(self, message, status=LAUNCHER_FAILED):
        super().__init__(message)
        self.status = status


class SandboxRefused(LauncherError):
    """The egress policy refused this launch (checked by --dry-run; nothing was created)."""


class CommandNotExecutable(LauncherError):
    def __init__(self, message):
        super().__init__(message, NOT_EXECUTABLE)


class CommandNotFound(LauncherError):
    def __init__(self, message):
        super().__init__(message, NOT_FOUND)


@dataclass
class RunResult:
    exit_code: int | None          # the container's status; None when timed out or cancelled
    outcome: str                   # "exited", "timeout" or "cancelled"
    egress: str                    # "applied", "disabled" or "bypassed" (from --dry-run)
    container: str                 # the container's name
    duration_s: float
    stderr_tail: list = field(default_factory=list)


def launcher_message(stderr_lines):
    """The `sandbox-run: error: ...` line, or the last stderr line."""
    for line in stderr_lines:
        if line.startswith("sandbox-run: error: "):
            return line[len("sandbox-run: error: "):].strip()
    return stderr_lines[-1].strip() if stderr_lines else "no message"


class DockerAPI:
    """Just enough of the Engine API over the unix socket for cleanup."""

    def __init__(self, host=None):
        host = host or os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        if not host.startswith("unix://"):
            raise SandboxError("this example speaks to a unix-socket daemon only, not " + host)
        self.path = host[len("unix://"):]

    def request(self, method, path):
        conn = http.client.HTTPConnection("docker", timeout=30)
        conn.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.sock.settimeout(30)
        conn.sock.connect(self.path)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def remove(self, name):
        """Kills and removes the container; True when it is gone."""
        status, _ = self.request("DELETE", "/containers/%s?force=1" % urllib.parse.quote(name))
        return status in (204, 404)

    def exists(self, name):
        status, _ = self.request("GET", "/containers/%s/json" % urllib.parse.quote(name))
        return status == 200


class SandboxClient:
    def __init__(self, sandbox_run=None, sandbox_egress=None, env=None, docker=None):
        self.sandbox_run = sandbox_run or shutil.which("sandbox-run") or "sandbox-run"
        self.sandbox_egress = sandbox_egress or shutil.which("sandbox-egress") or "sandbox-egress"
        self.env = dict(os.environ if env is None else env)
        self.docker = docker or DockerAPI(self.env.get("DOCKER_HOST"))

    def preflight(self, require_egress=True):
        """The egress state as `status --json` gives it (docs/status-json.md).
        Raises EgressNotReady when it lists problems, when egress is on but
        the daemon is not listening, or (require_egress) when egress is off."""
        r = subprocess.run([self.sandbox_egress, "status", "--json"], env=self.env,
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise EgressNotReady([r.stderr.strip() or "status exited %d" % r.returncode], None)
        status = json.loads(r.stdout)
        problems = list(status.get("problems", []))
        if status["enabled"] and not status["daemon"]["listening"] and not problems:
            problems.append("the egress daemon is not listening: " + status["daemon"]["detail"])
        if require_egress and not status["enabled"]:
            problems.append("egress is disabled: run `sandbox-egress setup`")
        if problems:
            raise EgressNotReady(problems, status)
        return status

    def _dry_run(self, args):
        r = subprocess.run([self.sandbox_run, "--dry-run", *args], env=self.env,
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if r.returncode == LAUNCHER_FAILED:
            raise SandboxRefused(launcher_message(r.stderr.splitlines()))
        if r.returncode != 0:
            raise LauncherError("sandbox-run --dry-run exited %d: %s" % (r.returncode, r.stderr.strip()),
                                r.returncode)
        return json.loads(r.stdout)["egress"]["outcome"]

    def run(self, image, command, *, timeout=None, on_output=None, cancel=None, docker_args=()):
        """Runs `command` in a fresh container of `image` (never pulled) and
        streams each output line to on_output(stream, line) as it comes."""
        name = "agent-sandbox-" + uuid.uuid4().hex[:12]
        args = ["--rm", "--pull", "never", "--name", name, *docker_args, image, *command]
        egress = self._dry_run(args)
        started = time.monotonic()
        # Its own session: a Ctrl-C meant for the backend does not reach it.
        proc = subprocess.Popen([self.sandbox_run, *args], env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        stderr_lines = []
        readers = [threading.Thread(target=self._pump, args=(proc.stdout, "stdout", on_output, None)),
                   threading.Thread(target=self._pump, args=(proc.stderr, "stderr", on_output, stderr_lines))]
        for t in readers:
            t.start()
        outcome = self._wait(proc, name, timeout, cancel, started)
        for t in readers:
            t.join()
        duration = time.monotonic() - started
        if outcome != "exited":
            return RunResult(None, outcome, egress, name, duration, stderr_lines[-5:])
        status = proc.returncode
        if status == LAUNCHER_FAILED:
            raise LauncherError(launcher_message(stderr_lines))
        if status == NOT_EXECUTABLE:
            raise CommandNotExecutable(launcher_message(stderr_lines))
        if status == NOT_FOUND:
            raise CommandNotFound(launcher_message(stderr_lines))
        return RunResult(status, "exited", egress, name, duration, stderr_lines[-5:])

    @staticmethod
    def _pump(pipe, stream, on_output, keep):
        with pipe:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", "replace")
                if keep is not None:
                    keep.append(line)
                if on_output:
                    on_output(stream, line)

    def _wait(self, proc, name, timeout, cancel, started):
        while True:
            try:
                proc.wait(timeout=0.1)
                return "exited"
            except subprocess.TimeoutExpired:
                pass
            if cancel is not None and cancel.is_set():
                self._stop(proc, name)
                return "cancelled"
            if timeout is not None and time.monotonic() - started > timeout:
                self._stop(proc, name)
                return "timeout"

    def _stop(self, proc, name, grace=10):
        """The container first (so nothing keeps running), then sandbox-run.
        A container sandbox-run has not created yet cannot be removed; so
        retry until sandbox-run is gone and the name is free."""
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            self.docker.remove(name)
            try:
                proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                continue
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
        self.docker.remove(name)  # created after the last try, or left by the kill
