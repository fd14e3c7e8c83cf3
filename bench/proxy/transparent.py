#!/usr/bin/env python3
"""The transparent path beside the CONNECT path, same upstream, same load.

  python3 bench/proxy/transparent.py [--build build] [--seconds 10] [--rounds 3]
                                     [--layout shared|split] [--port-base 19650]

Runs bench.py's upstream (on port 443 of 127.0.19.1, as a provider's HTTPS
port: the transparent listener always dials SNI:443) and engine, then
alternates keep-alive runs (64 connections, then 1) through the CONNECT
listener (CONNECT + MITM + swap) and through the transparent https listener
(TLS with the name in the SNI + swap; what a sandbox connection the firewall
redirected looks like), and new connections/s on both. Prints JSON and a table:
requests/s, median/p99 latency, and the transparent path's added median
latency relative to CONNECT's. Needs root (port 443). Loopback only.
"""
import argparse
import json
import os
import resource
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench as B  # noqa: E402


def rounds(b, conns, seconds, n):
    out = []
    for i in range(n):
        d = b.run_loadgen("keepalive", "direct", conns, seconds)
        # Alternate which path goes first so neither always runs right after the direct run.
        if i % 2 == 0:
            c = b.run_loadgen("keepalive", "engine", conns, seconds)
            t = b.run_loadgen("keepalive", "transparent", conns, seconds)
        else:
            t = b.run_loadgen("keepalive", "transparent", conns, seconds)
            c = b.run_loadgen("keepalive", "engine", conns, seconds)
        dm = d["latency_ms"]["median"]
        added_c = c["latency_ms"]["median"] - dm
        added_t = t["latency_ms"]["median"] - dm
        out.append({"direct": d, "connect": c, "transparent": t,
                    "added_median_ms": {"connect": round(added_c, 3), "transparent": round(added_t, 3)},
                    "transparent_vs_connect_added": round(added_t / added_c, 3) if added_c > 0 else None,
                    "rps_ratio": round(t["per_second"] / c["per_second"], 3)})
    return out


def summary(rs):
    """Median over the rounds of each path's added median latency, and their ratio."""
    c = statistics.median(r["added_median_ms"]["connect"] for r in rs)
    t = statistics.median(r["added_median_ms"]["transparent"] for r in rs)
    return {"rounds": len(rs), "added_median_ms": {"connect": round(c, 3), "transparent": round(t, 3)},
            "transparent_vs_connect_added": round(t / c, 3) if c > 0 else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(B.ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--layout", choices=["shared", "split"], default="shared")
    ap.add_argument("--engine-threads", type=int, default=2)
    ap.add_argument("--client-threads", type=int, default=2)
    ap.add_argument("--upstream-threads", type=int, default=1)
    ap.add_argument("--tunnel-workers", type=int, default=32)
    ap.add_argument("--port-base", type=int, default=19650)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("transparent.py: the upstream listens on port 443: run as root")
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, max(8192, resource.getrlimit(
        resource.RLIMIT_NOFILE)[1])))
    b = B.Bench(a)
    b.up_addr, b.up_port = "127.0.19.1", 443
    out = {"layout": a.layout, "engine_threads": a.engine_threads, "loadavg_before": os.getloadavg()[0]}
    try:
        b.start_upstream()
        b.start_engine()
        b.run_loadgen("keepalive", "engine", 64, 1)
        b.run_loadgen("keepalive", "transparent", 64, 1)
        out["keepalive64"] = rounds(b, 64, a.seconds, a.rounds)
        out["keepalive1"] = rounds(b, 1, a.seconds / 2, a.rounds)
        out["summary"] = {key: summary(out[key]) for key in ("keepalive64", "keepalive1")}
        out["new_connections"] = {via: b.run_loadgen("tunnels", via, a.tunnel_workers, a.seconds)
                                  for via in ("engine", "transparent")}
    finally:
        b.stop()
    print(json.dumps(out, indent=1))
    print("\n| load | path | req/s | median ms | p99 ms | added median vs direct |")
    print("|---|---|---|---|---|---|")
    for key in ("keepalive64", "keepalive1"):
        for i, r in enumerate(out[key]):
            for path in ("direct", "connect", "transparent"):
                x = r[path]
                added = r["added_median_ms"].get(path, 0.0) if path != "direct" else 0.0
                print("| %s #%d | %s | %.0f | %.3f | %.3f | %.3f |" % (
                    key, i + 1, path, x["per_second"], x["latency_ms"]["median"], x["latency_ms"]["p99"], added))
    for via, r in out["new_connections"].items():
        print("| new connections | %s | %.0f/s | %.3f | %.3f | |" % (
            "connect" if via == "engine" else via, r["per_second"], r["latency_ms"]["median"],
            r["latency_ms"]["p99"]))
    print("\n| load | rounds | added median, CONNECT (median of rounds) | added median, transparent | transparent / CONNECT |")
    print("|---|---|---|---|---|")
    for key, x in out["summary"].items():
        print("| %s | %d | %.3f ms | %.3f ms | %s |" % (
            key, x["rounds"], x["added_median_ms"]["connect"], x["added_median_ms"]["transparent"],
            x["transparent_vs_connect_added"]))


if __name__ == "__main__":
    main()
