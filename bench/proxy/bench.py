#!/usr/bin/env python3
"""Benchmark of `sandbox-egress serve` against a local HTTPS upstream.

  python3 bench/proxy/bench.py [--bin build/bin/sandbox-egress] [--seconds 10] [--soak 60]

Measures, in one run (numbers printed as JSON and as a Markdown table):
  1. keep-alive HTTPS requests with 64 connections, direct to the upstream vs
     through the engine (CONNECT + MITM + Bearer swap): throughput ratio and
     the added median latency;
  2. new tunnels per second (TCP connect + CONNECT + MITM TLS handshake + one
     request; the engine's upstream connection comes from its pool);
  3. RSS of the engine holding 1,000 idle MITM tunnels;
  4. a soak: the keep-alive load through the engine for --soak seconds with the
     engine's open fds and RSS sampled every 5 s, and the error count.

Client and upstream are Python (threads/processes), on the same 2 cores as
the engine: absolute numbers are bounded by them; the ratios are what to read.
Everything runs on 127.0.0.1 only.
"""
import argparse
import http.client
import json
import multiprocessing as mp
import os
import resource
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "proxy"))
import fixtures  # noqa: E402

TOKEN = "openai-" + "0123456789abcdef" * 2
REAL = "sk-bench-real-value-0123456789"
HOST = "api.openai.com"


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def _worker(args):
    """One process: `threads` keep-alive connections for `seconds`."""
    mode, threads, seconds, up_port, proxy, cafile = args
    lat, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.time() + seconds

    def run():
        ctx = ssl.create_default_context(cafile=cafile)
        mine = []
        conn = None
        while time.time() < stop_at:
            try:
                if conn is None:
                    if mode == "direct":
                        conn = http.client.HTTPSConnection(HOST, up_port, context=ctx, timeout=30)
                        conn.sock = None
                        # Connect to the loopback upstream with the provider name for SNI.
                        raw = socket.create_connection(("127.0.0.1", up_port), timeout=30)
                        conn.sock = ctx.wrap_socket(raw, server_hostname=HOST)
                    else:
                        conn = http.client.HTTPSConnection(proxy[0], proxy[1], context=ctx,
                                                           timeout=30)
                        conn.set_tunnel(HOST, up_port)
                t0 = time.perf_counter()
                conn.request("GET", "/v1/models", headers={"Authorization": "Bearer " + TOKEN})
                r = conn.getresponse()
                r.read()
                mine.append(time.perf_counter() - t0)
                if r.status != 200:
                    errors[0] += 1
            except Exception:
                errors[0] += 1
                conn = None
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return lat, errors[0]


def load(mode, conns, seconds, up_port, proxy, cafile, procs=4):
    per = conns // procs
    with mp.Pool(procs) as pool:
        res = pool.map(_worker, [(mode, per, seconds, up_port, proxy, cafile)] * procs)
    lat = sorted(x for r in res for x in r[0])
    errors = sum(r[1] for r in res)
    return {"requests": len(lat), "rps": len(lat) / seconds, "errors": errors,
            "median_ms": statistics.median(lat) * 1000 if lat else None,
            "p99_ms": lat[int(len(lat) * 0.99)] * 1000 if lat else None}


def _tunnel_worker(args):
    seconds, up_port, proxy, cafile = args
    ctx = ssl.create_default_context(cafile=cafile)
    n, errors = 0, 0
    stop_at = time.time() + seconds
    while time.time() < stop_at:
        try:
            conn = http.client.HTTPSConnection(proxy[0], proxy[1], context=ctx, timeout=30)
            conn.set_tunnel(HOST, up_port)
            conn.request("GET", "/t", headers={"Authorization": "Bearer " + TOKEN})
            r = conn.getresponse()
            r.read()
            conn.close()
            n += 1
        except Exception:
            errors += 1
    return n, errors


def tunnels_per_second(seconds, up_port, proxy, cafile, procs=4):
    with mp.Pool(procs) as pool:
        res = pool.map(_tunnel_worker, [(seconds, up_port, proxy, cafile)] * procs)
    return {"tunnels": sum(r[0] for r in res), "per_second": sum(r[0] for r in res) / seconds,
            "errors": sum(r[1] for r in res)}


def idle_tunnels(count, up_port, proxy, cafile, pid):
    before = rss_kib(pid)
    ctx = ssl.create_default_context(cafile=cafile)
    held = []
    for _ in range(count):
        s = socket.create_connection(proxy, timeout=30)
        s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (HOST.encode(), up_port,
                                                                  HOST.encode()))
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1)
        held.append(ctx.wrap_socket(s, server_hostname=HOST))
    time.sleep(1)
    after = rss_kib(pid)
    fds = fd_count(pid)
    for t in held:
        t.close()
    return {"tunnels": count, "rss_before_mib": before / 1024, "rss_after_mib": after / 1024,
            "rss_added_mib": (after - before) / 1024, "engine_fds": fds}


def soak(seconds, up_port, proxy, cafile, pid):
    samples = []
    result = {}

    def sample():
        end = time.time() + seconds
        while time.time() < end:
            samples.append({"t": round(seconds - (end - time.time())),
                            "rss_mib": round(rss_kib(pid) / 1024, 1), "fds": fd_count(pid)})
            time.sleep(5)

    t = threading.Thread(target=sample)
    t.start()
    result["load"] = load("engine", 64, seconds, up_port, proxy, cafile)
    t.join()
    result["samples"] = samples
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin", "sandbox-egress"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--soak", type=float, default=60)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, max(8192, resource.getrlimit(
        resource.RLIMIT_NOFILE)[1])))
    d = tempfile.mkdtemp(prefix="sr-proxy-bench-")
    pki = fixtures.make_pki(d)
    up = fixtures.start_upstream(pki)
    up_port = up.server_address[1]
    cfg = os.path.join(d, "proxy.yaml")
    fixtures.render_config(cfg, pki, [HOST], [{"env": "OPENAI_API_KEY", "token": TOKEN,
                                               "headers": ["Authorization"], "hosts": [HOST]}],
                           ["10.0.0.0/8"])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SSL_CERT_FILE": pki["upstream_ca"],
           "OPENAI_API_KEY": REAL, "SANDBOX_EGRESS_MGMT_KEY": "bench-key"}
    engine = fixtures.Engine(a.bin, cfg, env, resolve=["%s:%d:127.0.0.1" % (HOST, up_port)],
                             audit_log=os.path.join(d, "audit.log"), threads=a.threads)
    proxy = engine.addr["tunnel"]
    out = {"threads": a.threads, "cpus": os.cpu_count()}
    try:
        load("direct", 8, 1, up_port, proxy, pki["upstream_ca"])  # warm-up
        # Direct clients trust the upstream CA, engine clients the MITM CA.
        out["direct"] = load("direct", 64, a.seconds, up_port, proxy, pki["upstream_ca"])
        out["engine"] = load("engine", 64, a.seconds, up_port, proxy, pki["engine_ca"])
        out["throughput_ratio"] = out["engine"]["rps"] / out["direct"]["rps"]
        out["added_median_ms"] = out["engine"]["median_ms"] - out["direct"]["median_ms"]
        out["new_tunnels"] = tunnels_per_second(a.seconds, up_port, proxy, pki["engine_ca"])
        out["idle_tunnels"] = idle_tunnels(1000, up_port, proxy, pki["engine_ca"], engine.proc.pid)
        if a.soak > 0:
            out["soak"] = soak(a.soak, up_port, proxy, pki["engine_ca"], engine.proc.pid)
    finally:
        engine.stop()
        up.shutdown()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
