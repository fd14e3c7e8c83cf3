"""EngineCase: the class set-up the engine suites (test_*.py here) share.

setUpClass skips without the built sandbox-egress, makes a temporary
directory (cls.dir) with the test PKI (cls.pki, fixtures.make_pki); the
helpers start stand-in upstreams, the class's engine (cls.engine) and
engines of a single test. Class cleanups, which also run when setUpClass
fails half-way, stop the engine first (stop_signal), then the upstreams,
then remove the directory; once the engine has stopped, none of
`never_logged` may be in its stderr or audit log.
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import harness  # noqa: E402
import fixtures  # noqa: E402


class EngineCase(unittest.TestCase):
    dir_prefix = "sr-proxy-"
    # Real keys and proxy tokens that no output of the class's engine may hold.
    never_logged = ()
    stop_signal = signal.SIGTERM
    engine = None
    audit = None  # the class engine's --audit-log, read by the leak check

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(harness.SANDBOX_EGRESS):
            raise unittest.SkipTest("missing " + harness.SANDBOX_EGRESS)
        cls.dir = tempfile.mkdtemp(prefix=cls.dir_prefix)
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        cls.pki = fixtures.make_pki(cls.dir)

    @classmethod
    def start_upstream(cls, pki=None, **kw):
        """fixtures.start_upstream, shut down after the class."""
        server = fixtures.start_upstream(pki, **kw)
        cls.addClassCleanup(server.server_close)
        cls.addClassCleanup(server.shutdown)
        return server

    @classmethod
    def start_port_standins(cls):
        """Stand-ins on ports 443 (HTTPS, cls.upstream) and 80 (plain,
        cls.plain) of cls.up_ip, a loopback address of the class's own (so
        those ports are free). Binding them needs root: skips otherwise."""
        if os.geteuid() != 0:
            raise unittest.SkipTest("the stand-ins listen on ports 443 and 80: needs root")
        cls.up_ip = fixtures.own_loopback()
        cls.upstream = cls.start_upstream(cls.pki, host=cls.up_ip, port=443)
        cls.plain = cls.start_upstream(None, host=cls.up_ip, port=80)

    @classmethod
    def start_class_engine(cls, config, env, **kw):
        """Starts cls.engine (fixtures.Engine with the built binary); the
        engine cls.engine names at the end of the class is stopped and
        checked for leaks. A start that fails leaves cls.engine as it was."""
        if "_engine_cleanup" not in cls.__dict__:
            cls._engine_cleanup = True
            cls.addClassCleanup(cls._stop_class_engine)
        cls.engine = fixtures.Engine(harness.SANDBOX_EGRESS, config, env, **kw)
        return cls.engine

    def start_test_engine(self, config, env, never_logged=(), **kw):
        """An engine for this test alone (fixtures.Engine with the built
        binary), killed when the test ends; then none of `never_logged` may
        be in its stderr."""
        engine = fixtures.Engine(harness.SANDBOX_EGRESS, config, env, **kw)

        def stop():
            engine.stop(signal.SIGKILL)
            text = engine.stderr()
            for s in never_logged:
                self.assertNotIn(s, text)
        self.addCleanup(stop)
        return engine

    def wait_audit(self, pred):
        """The lines of self.audit (parsed) for which pred holds, once there
        is one (within 5 s; else the test fails)."""
        deadline = time.time() + 5
        while time.time() < deadline:
            with open(self.audit) as f:
                hits = [json.loads(l) for l in f if l.strip() and pred(json.loads(l))]
            if hits:
                return hits
            time.sleep(0.05)
        self.fail("no audit line matched")

    @classmethod
    def engine_outputs(cls):
        """{where: text} of what the class engine wrote, for the leak check."""
        outputs = {"stderr": cls.engine.stderr()}
        if cls.audit:
            with open(cls.audit) as f:
                outputs["audit"] = f.read()
        return outputs

    @classmethod
    def _stop_class_engine(cls):
        if cls.engine is None:
            return
        if cls.engine.proc.poll() is not None:
            print("engine died with %s; stderr tail:\n%s" % (
                cls.engine.proc.returncode, cls.engine.stderr()[-2000:]), file=sys.stderr)
        cls.engine.stop(cls.stop_signal)
        leaks = [(where, s[:6]) for where, text in cls.engine_outputs().items()
                 for s in cls.never_logged if s in text]
        if leaks:
            raise AssertionError("secret or token found in engine output: %r" % leaks)
