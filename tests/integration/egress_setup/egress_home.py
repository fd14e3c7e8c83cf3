"""A temporary SANDBOX_RUN_HOME and a sandbox-egress runner with a clean,
explicit environment (no real ~/.sandbox-run, no inherited provider keys)."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
import reaper  # noqa: E402



class Home:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="sr-egress-it-")
        self.home = os.path.join(self.root, "home")
        self.state = os.path.join(self.home, "egress")
        # A test killed before cleanup() (ctest's timeout) still has the
        # firewall of its isolation: internal setup removed.
        self.reaped = reaper.watch(self.root, ["env", "SANDBOX_RUN_HOME=" + self.home,
                                               harness.SANDBOX_EGRESS, "disable"])

    def cleanup(self):
        try:
            harness.egress_disable(self.home, self.env())
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.reaped()

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    def state_path(self, name):
        return os.path.join(self.state, name)

    def env(self, extra=None):
        return harness.home_env(self.home, self.root, extra)

    def run(self, *args, env=None, umask=None, stdin=subprocess.DEVNULL):
        def pre():
            if umask is not None:
                os.umask(umask)
        return subprocess.run([harness.SANDBOX_EGRESS] + list(args), env=self.env(env),
                              capture_output=True, text=True, timeout=120, stdin=stdin,
                              preexec_fn=pre)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)
