"""A stand-in for the iron-proxy engine binary, used through the iron-proxy
engine path of `sandbox-egress start` (tests only; the real binary cannot be
downloaded here).

Usage: standin_engine.py MODE -config PROXY_YAML   (or --version)
It reads proxy.tunnel_listen and management.listen / api_key_env from the
proxy.yaml the test wrote, listens on the tunnel address, and serves
POST /v1/reload like iron-proxy v0.39 (200 / 401 / 422).
MODE: normal | slow (listens after 3 s) | never (never listens) |
      ignore_term (SIGTERM ignored; set by the wrapper script).
"""
import http.server
import json
import os
import re
import socket
import sys
import threading
import time


def read_conf(path):
    text = open(path).read()
    conf = {"text": text}
    section = None
    for line in text.splitlines():
        m = re.match(r"^(\w+):\s*$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^\s+(\w+):\s*\"?([^\"]*)\"?\s*$", line)
        if m and section in ("proxy", "management"):
            conf[section + "." + m.group(1)] = m.group(2)
    return conf


def split(addr):
    host, port = addr.rsplit(":", 1)
    return host.strip("[]"), int(port)


def main():
    if "--version" in sys.argv:
        print("iron-proxy version 0.39.0 (test stand-in)")
        return 0
    mode = sys.argv[1]
    conf = read_conf(sys.argv[sys.argv.index("-config") + 1])
    print("stand-in engine starting, mode %s" % mode, flush=True)
    if mode == "never":
        time.sleep(3600)
    if mode == "slow":
        time.sleep(3)
    tunnel = socket.socket()
    tunnel.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        tunnel.bind(split(conf["proxy.tunnel_listen"]))
    except OSError as e:
        # Like iron-proxy v0.39: a fatal listener error exits with status 0.
        print('{"level":"error","msg":"listen %s: %s"}' % (conf["proxy.tunnel_listen"], e), flush=True)
        return 0
    tunnel.listen(64)
    print("listening on %s" % conf["proxy.tunnel_listen"], flush=True)
    if conf.get("management.listen"):
        key = os.environ.get(conf.get("management.api_key_env", ""), "")
        config_path = sys.argv[sys.argv.index("-config") + 1]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                if self.headers.get("Authorization") != "Bearer " + key or not key:
                    return self.reply(401, {"error": "unauthorized"})
                if "INVALID" in open(config_path).read():
                    return self.reply(422, {"error": "transforms[0]: unknown transform \"INVALID\""})
                return self.reply(200, {"status": "ok"})

            def reply(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        server = http.server.HTTPServer(split(conf["management.listen"]), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    while True:
        conn, _ = tunnel.accept()
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
