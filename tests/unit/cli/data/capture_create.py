#!/usr/bin/env python3
"""Records the container create body the Docker CLI sends for given run flags.

Usage: capture_create.py NAME -- [docker run args...]
Writes NAME.json (the create body, sorted keys) and NAME.query (the query
string) next to this script. The golden files of the cli unit tests were
produced this way: the docker CLI talks to this proxy, which forwards every
request to the real daemon except POST /containers/create, which it records
and answers with 400 so nothing is created.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

UPSTREAM = "/var/run/docker.sock"
HERE = os.path.dirname(os.path.abspath(__file__))


def read_request(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None, None, buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    while len(rest) < length:
        rest += conn.recv(65536)
    return lines[0], head + b"\r\n\r\n", rest


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def handle(conn, captured):
    while True:
        line, head, body = read_request(conn)
        if line is None:
            conn.close()
            return
        method, target, _ = line.split(" ", 2)
        if method == "POST" and "/containers/create" in target:
            captured["body"] = json.loads(body) if body else None
            captured["query"] = target.partition("?")[2]
            msg = b'{"message":"captured"}'
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(msg), msg))
            continue
        up = socket.socket(socket.AF_UNIX)
        up.connect(UPSTREAM)
        # One request per upstream connection: the daemon closes after the
        # response, so the CLI's next request comes back through here.
        head = head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
        up.sendall(head + body)
        t = threading.Thread(target=pipe, args=(conn, up), daemon=True)
        t.start()
        pipe(up, conn)
        return


def main():
    name, args = sys.argv[1], sys.argv[3:]
    d = tempfile.mkdtemp()
    path = os.path.join(d, "docker.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(8)
    captured = {}

    def serve():
        while True:
            c, _ = srv.accept()
            threading.Thread(target=handle, args=(c, captured), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    env = dict(os.environ, DOCKER_HOST="unix://" + path)
    r = subprocess.run(["docker", "run"] + args, env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if "body" not in captured:
        sys.exit("no create request: exit %d: %s" % (r.returncode, r.stderr))
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"args": args, "query": captured["query"], "body": captured["body"]},
                  f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
