#!/usr/bin/env python3
"""Differential check of the request gate against h11, an independent
HTTP/1.1 parser: for every input of the gate's fuzz corpus, the bytes the
engine would write upstream (gate_corpus_tool print: Beast's serialisation of
the gate's head and the body framed per the gate's plan) are parsed by h11.
For every forwarded request both must agree on method, target, Host and body
length, and h11 must find the message complete with nothing left over. h11
also parses the client's own bytes: a head h11 rejects must not be forwarded
in a form h11 would read differently (it is either refused by the gate, or
canonicalised into bytes h11 accepts, checked above).

usage: gate_h11.py GATE_CORPUS_TOOL CORPUS_DIR...
"""
import json
import os
import subprocess
import sys

try:
    import h11
except ImportError:
    # Debian's python3-h11 lives in the system interpreter's path.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("gate_h11.py: h11 is not installed (apt-get install python3-h11)")


def parse(wire):
    """(method, target, host, body length, leftover bytes) as h11 reads them."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(wire)
    request, body = None, 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            raise ValueError("incomplete message")
        if isinstance(event, h11.ConnectionClosed):
            raise ValueError("no request")
        if event is h11.PAUSED:
            # h11 stops after the head of an upgrade (or CONNECT) request.
            break
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += len(event.data)
        elif isinstance(event, h11.EndOfMessage):
            break
    hosts = [v for n, v in request.headers if n == b"host"]
    leftover = conn.trailing_data[0]
    return request.method.decode(), request.target.decode(), hosts, body, leftover


def main():
    tool, dirs = sys.argv[1], sys.argv[2:]
    out = subprocess.run([tool, "print", *dirs], check=True, capture_output=True, text=True).stdout
    failures, forwarded, h11_rejects = [], 0, 0
    for line in out.splitlines():
        case = json.loads(line)
        client_rejected = None
        try:
            parse(bytes.fromhex(case["input_hex"]))
        except h11.RemoteProtocolError as e:
            client_rejected = str(e)
            h11_rejects += 1
        except (ValueError, AttributeError):
            pass  # incomplete: the engine would wait for the rest
        if case["stage"] != "forwarded":
            continue
        if client_rejected is not None:
            failures.append("%s: forwarded although h11 rejects the client's head: %s"
                            % (case["file"], client_rejected))
        forwarded += 1
        wire = bytes.fromhex(case["wire_hex"])
        try:
            method, target, hosts, body, leftover = parse(wire)
        except (h11.RemoteProtocolError, ValueError) as e:
            failures.append("%s: h11 rejects the forwarded bytes: %s" % (case["file"], e))
            continue
        want = (case["method"], case["target"], [case["host"].encode()], case["body_length"], b"")
        got = (method, target, hosts, body, leftover)
        if got != want:
            failures.append("%s: gate %r, h11 %r" % (case["file"], want, got))
    print("gate_h11: %d inputs, %d forwarded, %d client heads h11 rejects, %d disagreements"
          % (len(out.splitlines()), forwarded, h11_rejects, len(failures)))
    for f in failures[:20]:
        print("  " + f)
    if forwarded == 0:
        print("gate_h11: no forwarded input in the corpus")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
