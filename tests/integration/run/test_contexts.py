#!/usr/bin/env python3
"""Docker contexts: a context written by `docker context create` selects the
daemon for sandbox-run as for the CLI - DOCKER_CONTEXT, then config.json's
currentContext - and DOCKER_HOST wins over both. One context points at the
real socket, one at a non-default path (a socket relay under a temp dir),
one at a path where nothing listens.
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402


def relay(listen_path, target_path):
    """A unix socket at listen_path forwarding byte for byte to target_path;
    returns a counter of accepted connections."""
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(listen_path)
    srv.listen(16)
    count = [0]

    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    b.shutdown(socket.SHUT_WR)
                    break
                b.sendall(data)
        except OSError:
            pass
        a.close()

    def accept():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            count[0] += 1
            u = socket.socket(socket.AF_UNIX)
            u.connect(target_path)
            threading.Thread(target=pipe, args=(c, u), daemon=True).start()
            threading.Thread(target=pipe, args=(u, c), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return count


class ContextTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sr-ctx-")
        cls.config = os.path.join(cls.tmp, "config")
        os.makedirs(cls.config)
        cls.real = harness.docker_socket() or "/var/run/docker.sock"
        cls.relay_path = os.path.join(cls.tmp, "relay.sock")
        cls.relayed = relay(cls.relay_path, cls.real)
        for name, host in (("sr-real", "unix://" + cls.real), ("sr-relay", "unix://" + cls.relay_path),
                           ("sr-dead", "unix://" + os.path.join(cls.tmp, "nothing.sock"))):
            r = harness.run(["docker", "--config", cls.config, "context", "create", name,
                             "--docker", "host=" + host], text=True)
            assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_in(self, extra, *args):
        env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
        env.update(DOCKER_CONFIG=self.config, SANDBOX_RUN_HOME=os.path.join(self.tmp, "home"), **extra)
        return harness.run([harness.SANDBOX_RUN, "--rm", "--pull", "never", "--network", "none",
                            harness.BUSYBOX_IMAGE, *args], env=env, text=True)

    def test_docker_context_env_selects_the_endpoint(self):
        before = self.relayed[0]
        r = self.run_in({"DOCKER_CONTEXT": "sr-relay"}, "echo", "via-relay")
        self.assertEqual((r.stdout, r.returncode), ("via-relay\n", 0), r.stderr)
        self.assertGreater(self.relayed[0], before)  # the requests went through the context's socket
        r = self.run_in({"DOCKER_CONTEXT": "sr-real"}, "echo", "real")
        self.assertEqual((r.stdout, r.returncode), ("real\n", 0), r.stderr)

    def test_current_context_and_docker_host_wins(self):
        path = os.path.join(self.config, "config.json")
        cfg = {}
        if os.path.exists(path):
            with open(path) as f:
                cfg = json.load(f)
        cfg["currentContext"] = "sr-dead"
        with open(os.path.join(self.config, "config.json"), "w") as f:
            json.dump(cfg, f)
        try:
            r = self.run_in({}, "true")
            self.assertEqual(r.returncode, 125)
            self.assertIn(os.path.join(self.tmp, "nothing.sock"), r.stderr)
            r = self.run_in({"DOCKER_HOST": "unix://" + self.real}, "echo", "host-wins")
            self.assertEqual((r.stdout, r.returncode), ("host-wins\n", 0), r.stderr)
            r = self.run_in({"DOCKER_CONTEXT": "default"}, "echo", "default")
            self.assertEqual((r.stdout, r.returncode), ("default\n", 0), r.stderr)
        finally:
            cfg.pop("currentContext")
            with open(os.path.join(self.config, "config.json"), "w") as f:
                json.dump(cfg, f)

    def test_unknown_context_is_refused(self):
        r = self.run_in({"DOCKER_CONTEXT": "sr-missing"}, "true")
        self.assertEqual(r.returncode, 125)
        self.assertIn('Docker context "sr-missing": context not found', r.stderr)


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
