#!/usr/bin/env python3
"""The demo's local HTTPS stand-in for the provider (api.openai.com).

Generates a throwaway test CA and server certificate in DIR (openssl CLI, via
tests/integration/proxy/fixtures.py), listens on 127.0.0.1:PORT, appends every
request it receives (method, path, headers) as one JSON line to
DIR/received.jsonl, and writes DIR/ready once it listens. Runs until killed.
The egress engine is pointed at it with SSL_CERT_FILE=DIR/upstream-ca.crt and
--resolve api.openai.com:PORT:127.0.0.1.
"""
import argparse
import json
import os
import signal
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "support"))
import egress_stack  # noqa: E402
from egress_stack import fixtures  # noqa: E402


class FileRecorder(fixtures.Recorder):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def add(self, rec):
        super().add(rec)
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps({k: rec[k] for k in ("method", "path", "headers")}) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=443)
    a = ap.parse_args()
    pki = fixtures.make_pki(a.dir)
    server = egress_stack.start_upstream_at(pki, a.port)
    server.recorder = FileRecorder(os.path.join(a.dir, "received.jsonl"))
    with open(os.path.join(a.dir, "ready"), "w") as f:
        f.write(str(server.server_address[1]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pause()


if __name__ == "__main__":
    main()
