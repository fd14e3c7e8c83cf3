#!/usr/bin/env python3
"""Two engine builds side by side: the same upstream, loadgen and load, alternating.

  python3 bench/proxy/compare.py --build AFTER --compare-build BEFORE
                                 [--seconds 5] [--rounds 5] [--soak 30]

Uses bench.py's processes. --build holds sandbox-egress and the two bench
helpers (the helpers serve both engines); --compare-build needs only
bin/sandbox-egress. One upstream, two engines running at once with the same
proxy.yaml shape on their own ports (--port-base and --port-base + 20), each
idle while the other is measured. Every round runs the load direct, then
through both engines; which engine goes first alternates per round, so a
change in the machine's load hits both. Per round: keep-alive with 64
connections (req/s, engine CPU per request), keep-alive with 1 connection
(added median latency over direct), new tunnels (per second, engine CPU per
tunnel). Once per engine at the end: new tunnels without the upstream pool,
1,000 idle tunnels on a fresh engine, and a soak (keep-alive load plus tunnel
churn). Prints JSON and a table of the medians over the rounds with the ratio
of --build over --compare-build. Loopback only.
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

ENGINES = ("after", "before")


def engine_cpu_us(r):
    return (B.cpu_per_unit(r).get("engine") or (float("nan"),))[0]


def one_round(benches, i, a, skip):
    order = ENGINES if i % 2 == 0 else ENGINES[::-1]
    first = benches["after"]
    out = {"order": list(order)}
    if "keepalive" not in skip:
        d = first.run_loadgen("keepalive", "direct", 64, a.seconds)
        out["keepalive64"] = {"direct": d}
        for k in order:
            out["keepalive64"][k] = benches[k].run_loadgen("keepalive", "engine", 64, a.seconds)
    if "latency" not in skip:
        d = first.run_loadgen("keepalive", "direct", 1, a.seconds / 2)
        out["keepalive1"] = {"direct": d}
        for k in order:
            out["keepalive1"][k] = benches[k].run_loadgen("keepalive", "engine", 1, a.seconds / 2)
    if "tunnels" not in skip:
        out["tunnels"] = {"direct": first.run_loadgen("tunnels", "direct", a.tunnel_workers,
                                                      a.seconds)}
        for k in order:
            out["tunnels"][k] = benches[k].run_loadgen("tunnels", "engine", a.tunnel_workers,
                                                       a.seconds)
    return out


def once_each(benches, a, skip):
    out = {}
    if "unpooled" not in skip:
        for k in ENGINES:
            benches[k].restart_engine(["--upstream-idle", "0"])
            out.setdefault("tunnels_unpooled", {})[k] = benches[k].run_loadgen(
                "tunnels", "engine", a.tunnel_workers, a.seconds)
    if "idle" not in skip:
        for k in ENGINES:
            benches[k].restart_engine(["--max-client-connections", str(2 * a.idle)])
            out.setdefault("idle_tls", {})[k] = benches[k].idle(a.idle, False)
    if a.soak > 0:
        for k in ENGINES:
            out.setdefault("soak", {})[k] = benches[k].soak(a.soak)
    return out


def med(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def rows(out):
    """(measure, format, after median, before median, per-round figures) over the rounds."""
    rs = out["rounds"]

    def series(key, f):
        return {k: [f(r[key][k], r[key]["direct"]) for r in rs] for k in ENGINES}

    result = []
    wanted = [
        ("keepalive64", "keep-alive 64 conns, req/s", "%.0f", lambda e, d: e["per_second"]),
        ("keepalive64", "keep-alive 64 conns, % of direct", "%.1f",
         lambda e, d: 100 * e["per_second"] / d["per_second"]),
        ("keepalive64", "keep-alive 64 conns, engine CPU µs per request", "%.1f", lambda e, d: engine_cpu_us(e)),
        ("keepalive1", "1 conn, added median latency ms", "%.3f",
         lambda e, d: e["latency_ms"]["median"] - d["latency_ms"]["median"]),
        ("tunnels", "new tunnels/s (pooled upstream)", "%.0f", lambda e, d: e["per_second"]),
        ("tunnels", "engine CPU µs per new tunnel", "%.0f", lambda e, d: engine_cpu_us(e)),
        ("keepalive64", "errors (keep-alive 64, all rounds)", "%d", lambda e, d: e["errors"] + e["bad_status"]),
        ("tunnels", "errors (tunnels, all rounds)", "%d", lambda e, d: e["errors"] + e["bad_status"]),
    ]
    for key, label, fmt, f in wanted:
        if rs and key in rs[0]:
            s = series(key, f)
            agg = sum if label.startswith("errors") else med
            result.append((label, fmt, agg(s["after"]), agg(s["before"]), s))
    return result


def div(x, y):
    return "%.2f" % (x / y) if y else "-"


def table(out):
    lines = ["| measure | after (median of %d rounds) | before | after / before | per round, after; before |"
             % len(out["rounds"]), "|---|---:|---:|---:|---|"]
    for label, fmt, x, y, s in rows(out):
        per = "; ".join(", ".join(fmt % v for v in s[k]) for k in ENGINES)
        lines.append("| %s | %s | %s | %s | %s |" % (label, fmt % x, fmt % y, div(x, y), per))
    once = out["once"]
    for k in ("tunnels_unpooled",):
        if k in once:
            e = once[k]
            lines.append("| new tunnels/s without upstream pool (once each) | %.0f | %.0f | %s | engine CPU µs "
                         "per tunnel %.0f; %.0f |" % (e["after"]["per_second"], e["before"]["per_second"],
                                                     div(e["after"]["per_second"], e["before"]["per_second"]),
                                                     engine_cpu_us(e["after"]), engine_cpu_us(e["before"])))
    if "idle_tls" in once:
        e = once["idle_tls"]
        lines.append("| %d idle tunnels, engine RSS added MiB (fresh engine) | %.1f | %.1f | %s | "
                     "ready %d; %d |" % (e["after"]["tunnels"], e["after"]["rss_added_mib"], e["before"]["rss_added_mib"],
                                         div(e["after"]["rss_added_mib"], e["before"]["rss_added_mib"]),
                                         e["after"]["ready"], e["before"]["ready"]))
    if "soak" in once:
        s = {}
        for k in ENGINES:
            x = once["soak"][k]
            kk, t = x["keepalive"], x["tunnels"]
            fds = [p["fds"] for p in x["samples"][1:]] or [0]
            rss = [p["rss_mib"] for p in x["samples"][1:]] or [0]
            s[k] = (kk["completed"], t["completed"],
                    kk["errors"] + kk["bad_status"] + t["errors"] + t["bad_status"], fds, rss)
        lines.append("| soak (requests + tunnels, errors; fds, RSS MiB) | %d + %d, %d errors | %d + %d, %d errors "
                     "| %s (requests) | fds %d-%d, RSS %.1f-%.1f; fds %d-%d, RSS %.1f-%.1f |"
                     % (s["after"][:3] + s["before"][:3] + (div(s["after"][0], s["before"][0]),)
                        + (min(s["after"][3]), max(s["after"][3]), min(s["after"][4]), max(s["after"][4]),
                           min(s["before"][3]), max(s["before"][3]), min(s["before"][4]),
                           max(s["before"][4]))))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(B.ROOT, "build"),
                    help="build dir of the 'after' engine and of the bench helpers")
    ap.add_argument("--compare-build", required=True,
                    help="build dir of the 'before' engine (only bin/sandbox-egress is used)")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--soak", type=float, default=30, help="seconds per engine; 0 skips it")
    B.add_process_options(ap)
    ap.add_argument("--skip", default="", help="comma list of: keepalive,latency,tunnels,unpooled,idle")
    a = ap.parse_args()
    a.layout = "shared"
    skip = set(filter(None, a.skip.split(",")))
    before_bin = os.path.join(a.compare_build, "bin", "sandbox-egress")
    if not os.access(before_bin, os.X_OK):
        sys.exit("compare: %s is missing" % before_bin)
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, max(8192, resource.getrlimit(
        resource.RLIMIT_NOFILE)[1])))
    benches = {"after": B.Bench(a)}
    a2 = argparse.Namespace(**vars(a))
    a2.port_base = a.port_base + 20
    second = B.Bench(a2)
    # The second engine talks to the first Bench's upstream and trusts its CA.
    second.engine_bin, second.pki = before_bin, benches["after"].pki
    second.up_port = benches["after"].up_port
    benches["before"] = second
    out = {"loadavg_before": os.getloadavg(), "engines": {"after": benches["after"].engine_bin,
                                                          "before": before_bin}}
    try:
        benches["after"].start_upstream()
        second.upstream = benches["after"].upstream
        for k in ENGINES:
            benches[k].start_engine()
            benches[k].run_loadgen("keepalive", "engine", 64, 1)  # mints the leaf, fills the pool
        out["rounds"] = []
        for i in range(a.rounds):
            out["rounds"].append(one_round(benches, i, a, skip))
            out.setdefault("loadavg_rounds", []).append(os.getloadavg()[0])
        out["once"] = once_each(benches, a, skip)
    finally:
        second.stop([second.engine])
        benches["after"].stop()
        if benches["after"].upstream:
            out["upstream_counters"] = benches["after"].upstream.stdout.read().strip()
        for b in benches.values():
            B.shutil.rmtree(b.dir, ignore_errors=True)
    out["loadavg_after"] = os.getloadavg()
    print(json.dumps(out, indent=1))
    print()
    print(table(out))


if __name__ == "__main__":
    main()
