"""A private dockerd that registers `recording`: a wrapper around runc that
appends each call's arguments to a log, so a test sees a container really ran
under the runtime it named. The shared dockerd is never touched."""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "faults"))
import faults_support as fs  # noqa: E402


def start(prefix, image, extra_args=()):
    """(daemon, root, record): the daemon started with `image` copied in,
    its state under the new temporary directory root, the log at record."""
    root = tempfile.mkdtemp(prefix=prefix)
    record = os.path.join(root, "runs.log")
    wrapper = os.path.join(root, "recording-runc")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\necho \"$*\" >> %s\nexec runc \"$@\"\n" % record)
    os.chmod(wrapper, 0o755)

    class Daemon(fs.PrivateDockerd):
        def args(self):
            return super().args() + ["--add-runtime", "recording=" + wrapper] + list(extra_args)
    daemon = Daemon(root)
    daemon.start_with_image(image)
    return daemon, root, record
