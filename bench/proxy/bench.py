#!/usr/bin/env python3
"""Benchmark of `sandbox-egress serve` against a local HTTPS upstream (issue 4 §8).

  python3 bench/proxy/bench.py [--build build] [--seconds 10] [--soak 60]
                               [--layout shared|split] [--engine-threads 2]

Needs the engine and the two C++ bench helpers, built in one build dir:

  cmake --build build --target sandbox-egress sr-bench-loadgen sr-bench-upstream

Starts, on 127.0.0.1 only (ports 19600-19649 unless --port-base says otherwise):
  - bench/proxy/upstream.cpp: Asio+Beast+OpenSSL HTTPS upstream with its own
    test CA, keep-alive, fixed small JSON answer; it answers 401 unless the
    Authorization header carries the real secret, so every 200 through the
    engine proves the Bearer swap happened;
  - `sandbox-egress serve` with --resolve api.openai.com:<port>:127.0.0.1, the
    upstream CA trusted through SSL_CERT_FILE, a Bearer-swap mapping and an
    audit log file (as in production: one JSON line per request).
Then, with bench/proxy/loadgen.cpp (Asio+Beast+OpenSSL, async, --client-threads):
  1. keep-alive HTTPS, 64 connections: direct to the upstream, then through the
     engine (CONNECT + MITM + swap), in the same run, --rounds times
     (alternating): requests/s, latency median/p90/p99, ratios;
  2. the same with 1 connection (latency without queueing);
  3. new tunnels/s through the engine (TCP + CONNECT + full MITM TLS handshake
     + one request + close; the engine's upstream side comes from its pool),
     and new direct TLS connections/s for reference;
  4. engine RSS/fds with 1,000 idle tunnels (TLS done; and TLS + one request);
  5. soak: keep-alive load (64 conns) plus tunnel churn (4 workers) through the
     engine for --soak s; engine RSS/fds sampled every 5 s; error counts.

Every loadgen run also records the CPU the engine, the upstream and the loadgen
spent over it (user and system), per completed request or tunnel; the table
shows it, with the engine CPU per request that a 50 % shared-core ratio allows.

CPU layout (the machine has 2 cores shared by client, engine and upstream):
  shared  no pinning: engine (--engine-threads event loops), loadgen and
          upstream all float over both cores. Direct and proxied runs get the
          same 2 cores, so the throughput ratio is the engine's CPU cost share.
  split   engine pinned to CPU 0, loadgen + upstream pinned to CPU 1 (taskset):
          the engine gets a core to itself, the ratio shows whether it keeps up
          with a client+upstream pair on the other core.
"""
import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "proxy"))
import fixtures  # noqa: E402  (make_pki, render_config)

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


def cpu_split(pid):
    """(user, system) CPU seconds of a live process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tck, int(fields[12]) / tck


def children_cpu():
    """(user, system) CPU seconds of all waited-for children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime, r.ru_stime


class Bench:
    def __init__(self, a):
        self.a = a
        bindir = os.path.join(a.build, "bin")
        self.engine_bin = os.path.join(bindir, "sandbox-egress")
        self.loadgen_bin = os.path.join(bindir, "sr-bench-loadgen")
        self.upstream_bin = os.path.join(bindir, "sr-bench-upstream")
        for b in (self.engine_bin, self.loadgen_bin, self.upstream_bin):
            if not os.access(b, os.X_OK):
                sys.exit("bench: %s is missing; build it with: cmake --build %s --target "
                         "sandbox-egress sr-bench-loadgen sr-bench-upstream" % (b, a.build))
        self.pin_engine = ["taskset", "-c", "0"] if a.layout == "split" else []
        self.pin_client = ["taskset", "-c", "1"] if a.layout == "split" else []
        self.dir = tempfile.mkdtemp(prefix="sr-proxy-bench-")
        self.pki = fixtures.make_pki(self.dir)
        p = a.port_base
        self.up_port, self.tunnel_port = p + 1, p + 10
        self.up_addr = "127.0.0.1"
        self.https_port = p + 14  # the transparent listener (transparent.py)
        self.upstream = None
        self.engine = None

    # --- processes -------------------------------------------------------
    def start_upstream(self):
        self.upstream = subprocess.Popen(
            self.pin_client + [self.upstream_bin, "--cert", self.pki["upstream_cert"], "--key",
                               self.pki["upstream_key"], "--port", str(self.up_port),
                               "--bind", self.up_addr,
                               "--threads", str(self.a.upstream_threads),
                               "--expect-auth", "Bearer " + REAL],
            stdout=subprocess.PIPE, text=True)
        line = self.upstream.stdout.readline()
        if not line.startswith("listening"):
            sys.exit("bench: upstream did not start: " + line)

    def start_engine(self, extra=()):
        p = self.a.port_base
        cfg = os.path.join(self.dir, "proxy.yaml")
        fixtures.render_config(
            cfg, self.pki, [HOST],
            [{"env": "OPENAI_API_KEY", "token": TOKEN, "headers": ["Authorization"],
              "hosts": [HOST]}], ["10.0.0.0/8"],
            tunnel="127.0.0.1:%d" % self.tunnel_port, http="127.0.0.1:%d" % (p + 11),
            metrics="127.0.0.1:%d" % (p + 12), management="127.0.0.1:%d" % (p + 13),
            https="127.0.0.1:%d" % self.https_port)
        # The DNS responder on a fixed port too: on port 0 it binds UDP first and
        # then TCP on the port UDP got, which under load is often held by one of
        # the loadgen's own connections ("binding (TCP) the DNS responder ...:
        # Address already in use").
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(text.replace("dns:\n  listen: 127.0.0.1:0\n",
                                 "dns:\n  listen: 127.0.0.1:%d\n" % (p + 15), 1))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "SSL_CERT_FILE": self.pki["upstream_ca"], "OPENAI_API_KEY": REAL,
               "SANDBOX_EGRESS_MGMT_KEY": "bench-key"}
        self.engine_log = os.path.join(self.dir, "engine.stderr")
        args = self.pin_engine + [
            self.engine_bin, "serve", "--config", cfg, "--threads", str(self.a.engine_threads),
            "--resolve", "%s:%d:%s" % (HOST, self.up_port, self.up_addr),
            "--audit-log", os.path.join(self.dir, "audit.log")] + list(extra)
        with open(self.engine_log, "w") as log:
            self.engine = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, env=env)
        deadline = time.time() + 15
        while time.time() < deadline:
            with open(self.engine_log) as f:
                text = f.read()
            # "ready (N event loop thread(s))"; a bare "ready" also matches
            # "Address already in use" of a listener that failed to bind.
            if "serve: ready (" in text:
                return
            if self.engine.poll() is not None:
                sys.exit("bench: engine exited %s: %s" % (self.engine.returncode, text))
            time.sleep(0.05)
        sys.exit("bench: engine not ready")

    def stop(self, procs=None):
        for proc in procs or (self.engine, self.upstream):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def restart_engine(self, extra=()):
        """A fresh engine process (same config and ports), with `extra` serve flags."""
        self.stop([self.engine])
        self.start_engine(extra)

    # --- loadgen ---------------------------------------------------------
    def loadgen_args(self, mode, via, conns, seconds, extra=()):
        args = self.pin_client + [self.loadgen_bin, "--mode", mode, "--conns", str(conns),
                                  "--seconds", str(seconds), "--threads",
                                  str(self.a.client_threads), "--warmup", str(self.a.warmup)]
        if via == "engine":
            args += ["--proxy", "127.0.0.1:%d" % self.tunnel_port, "--host",
                     "%s:%d" % (HOST, self.up_port), "--cafile", self.pki["engine_ca"],
                     "--header", "Authorization: Bearer " + TOKEN]
        elif via == "transparent":
            # What a redirected sandbox connection looks like: TLS straight to
            # the engine's https listener, the name only in the SNI.
            args += ["--upstream", "127.0.0.1:%d" % self.https_port, "--host",
                     "%s:%d" % (HOST, self.up_port), "--cafile", self.pki["engine_ca"],
                     "--header", "Authorization: Bearer " + TOKEN]
        else:
            args += ["--upstream", "%s:%d" % (self.up_addr, self.up_port), "--host", "%s:%d" % (HOST, self.up_port),
                     "--cafile", self.pki["upstream_ca"],
                     "--header", "Authorization: Bearer " + REAL]
        return args + list(extra)

    def run_loadgen(self, mode, via, conns, seconds, extra=()):
        """One loadgen run. Besides its own JSON, records the CPU each process
        spent over the run, user and system apart (the loadgen's from
        RUSAGE_CHILDREN: exact for runs one at a time, mixed in the soak,
        where two loadgens overlap)."""
        before = {"engine": cpu_split(self.engine.pid), "upstream": cpu_split(self.upstream.pid),
                  "loadgen": children_cpu()}
        t0 = time.time()
        out = subprocess.run(self.loadgen_args(mode, via, conns, seconds, extra),
                             capture_output=True, text=True, check=True)
        res = json.loads(out.stdout)
        after = {"engine": cpu_split(self.engine.pid), "upstream": cpu_split(self.upstream.pid),
                 "loadgen": children_cpu()}
        res["cpu_s"] = {k: {"user": round(after[k][0] - before[k][0], 2),
                            "sys": round(after[k][1] - before[k][1], 2)} for k in before}
        res["engine_cpu_s"] = round(sum(res["cpu_s"]["engine"].values()), 2)
        res["wall_s"] = round(time.time() - t0, 2)
        return res

    def keepalive_rounds(self, conns, seconds, rounds):
        """`rounds` alternations of keep-alive load direct, then through the
        engine, each with the ratio and the added median latency."""
        out = []
        for _ in range(rounds):
            d = self.run_loadgen("keepalive", "direct", conns, seconds)
            e = self.run_loadgen("keepalive", "engine", conns, seconds)
            out.append({"direct": d, "engine": e,
                        "ratio": ratio(e["per_second"], d["per_second"]),
                        "added_median_ms": e["latency_ms"]["median"] - d["latency_ms"]["median"]})
        return out

    def idle(self, count, request_first):
        pid = self.engine.pid
        time.sleep(0.5)
        before, fds_before = rss_kib(pid), fd_count(pid)
        extra = ["--request-first"] if request_first else []
        proc = subprocess.Popen(self.loadgen_args("idle", "engine", count, 0, extra),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = json.loads(proc.stdout.readline())
        time.sleep(1.0)
        after, fds_after = rss_kib(pid), fd_count(pid)
        proc.stdin.close()
        proc.wait(30)
        time.sleep(1.0)
        released = rss_kib(pid)
        return {"tunnels": count, "request_first": request_first, "ready": ready["ready"],
                "errors": ready["errors"] + ready["bad_status"],
                "first_error": ready["first_error"],
                "open_seconds": ready["open_seconds"],
                "rss_before_mib": round(before / 1024, 1), "rss_after_mib": round(after / 1024, 1),
                "rss_added_mib": round((after - before) / 1024, 1),
                "rss_after_close_mib": round(released / 1024, 1),
                "fds_before": fds_before, "fds_after": fds_after}

    def soak(self, seconds):
        pid = self.engine.pid
        samples = []
        done = threading.Event()

        def sample():
            t0 = time.time()
            while not done.is_set():
                samples.append({"t": round(time.time() - t0), "rss_mib": round(rss_kib(pid) / 1024, 1),
                                "fds": fd_count(pid)})
                done.wait(5)

        results = {}

        def churn():
            results["tunnels"] = self.run_loadgen("tunnels", "engine", 4, seconds)

        sampler = threading.Thread(target=sample)
        churner = threading.Thread(target=churn)
        sampler.start()
        churner.start()
        results["keepalive"] = self.run_loadgen("keepalive", "engine", 64, seconds)
        churner.join()
        done.set()
        sampler.join()
        results["samples"] = samples
        return results


def ratio(a, b):
    return a / b if b else float("nan")


def cpu_per_unit(r):
    """{process: (user+sys µs, sys µs)} per completed request or tunnel, over
    the whole loadgen run (warm-up included, as its CPU is)."""
    n = r.get("all_completed") or 0
    if not n:
        return {}
    return {k: ((v["user"] + v["sys"]) * 1e6 / n, v["sys"] * 1e6 / n) for k, v in r["cpu_s"].items()}


def cpu_row(label, d, e, shared):
    """The CPU each process spent per unit, direct and through the engine, and
    (shared layout) what the engine may spend for the ratio to reach 50 %: on
    saturated shared cores the ratio is about (L + U)direct / (L + U + E)engine,
    so E must stay within 2 (L + U)direct - (L + U)engine."""
    cd, ce = cpu_per_unit(d), cpu_per_unit(e)
    if not cd or not ce:
        return None
    lu_d = cd["loadgen"][0] + cd["upstream"][0]
    lu_e = ce["loadgen"][0] + ce["upstream"][0]
    budget = 2 * lu_d - lu_e
    return ("| %s, CPU µs per unit: loadgen + upstream (direct); loadgen + upstream, engine "
            "(through it) | %s | %.1f | %.1f + %.1f (engine sys %.1f) | %s | |"
            % (label, "engine <= %.1f µs for 50 %%" % budget if shared else "-", lu_d, lu_e,
               ce["engine"][0], ce["engine"][1],
               "engine %.1f / budget %.1f" % (ce["engine"][0], budget) if shared else "-"))


def add_process_options(ap):
    """The options Bench reads besides the build dir, layout and timing (shared with compare.py)."""
    ap.add_argument("--engine-threads", type=int, default=2)
    ap.add_argument("--client-threads", type=int, default=2)
    ap.add_argument("--upstream-threads", type=int, default=1)
    ap.add_argument("--tunnel-workers", type=int, default=32)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--port-base", type=int, default=19600)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build dir holding bin/sandbox-egress and the bench helpers")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--rounds", type=int, default=2, help="direct/engine alternations")
    ap.add_argument("--soak", type=float, default=60)
    ap.add_argument("--layout", choices=["shared", "split"], default="shared")
    add_process_options(ap)
    ap.add_argument("--keep-dir", action="store_true",
                    help="keep the temp dir (PKI, proxy.yaml, engine stderr, audit log)")
    ap.add_argument("--skip", default="", help="comma list of: keepalive,latency,tunnels,unpooled,idle (unpooled: the "
                         "tunnels run on an engine started with --upstream-idle 0)")
    a = ap.parse_args()
    if a.layout == "split" and not shutil.which("taskset"):
        sys.exit("bench: --layout split needs taskset (util-linux)")
    skip = set(filter(None, a.skip.split(",")))
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, max(8192, resource.getrlimit(
        resource.RLIMIT_NOFILE)[1])))
    b = Bench(a)
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
           "layout": a.layout, "engine_threads": a.engine_threads,
           "client_threads": a.client_threads, "upstream_threads": a.upstream_threads,
           "loadavg_before": os.getloadavg()[0]}
    try:
        b.start_upstream()
        b.start_engine()
        # Warm-up: mints the leaf, fills the engine's upstream pool.
        b.run_loadgen("keepalive", "engine", 64, 1)
        if "keepalive" not in skip:
            out["keepalive64"] = b.keepalive_rounds(64, a.seconds, a.rounds)
        if "latency" not in skip:
            out["keepalive1"] = b.keepalive_rounds(1, a.seconds / 2, a.rounds)
        if "tunnels" not in skip:
            out["tunnels_direct"] = b.run_loadgen("tunnels", "direct", a.tunnel_workers, a.seconds)
            out["tunnels_engine"] = b.run_loadgen("tunnels", "engine", a.tunnel_workers, a.seconds)
        if "tunnels" not in skip and "unpooled" not in skip:
            # Without the engine's upstream keep-alive pool every tunnel's
            # request also costs a new upstream TCP connection + TLS handshake.
            b.restart_engine(["--upstream-idle", "0"])
            out["tunnels_engine_unpooled"] = b.run_loadgen("tunnels", "engine", a.tunnel_workers,
                                                           a.seconds)
        if "idle" not in skip:
            # A fresh engine: no heap left over from the load above to absorb the
            # tunnels. The tunnels all come from 127.0.0.1: the per-client cap
            # (256 by default) would refuse all but the first 256.
            b.restart_engine(["--max-client-connections", str(2 * a.idle)])
            out["idle_tls"] = b.idle(a.idle, False)
            out["idle_request"] = b.idle(a.idle, True)
        if a.soak > 0:
            out["soak"] = b.soak(a.soak)
    finally:
        b.stop()
        if b.upstream:
            out["upstream_counters"] = b.upstream.stdout.read().strip()
        if not a.keep_dir:
            shutil.rmtree(b.dir, ignore_errors=True)
    out["loadavg_after"] = os.getloadavg()[0]
    print(json.dumps(out, indent=1))
    print()
    print(table(out, a))


def table(out, a):
    rows = ["| measure | target | direct | engine | ratio / added | verdict |",
            "|---|---|---:|---:|---:|---|"]

    def lat(r):
        m = r["latency_ms"]
        return "%.2f / %.2f / %.2f" % (m["median"], m["p90"], m["p99"])

    for i, r in enumerate(out.get("keepalive64", [])):
        d, e = r["direct"], r["engine"]
        rows.append("| keep-alive 64 conns, req/s (round %d) | engine >= 50 %% of direct | %.0f | %.0f "
                    "| %.0f %% | %s |" % (i + 1, d["per_second"], e["per_second"], 100 * r["ratio"],
                                          "met" if r["ratio"] >= 0.5 else "missed"))
        rows.append("| keep-alive 64 conns, latency ms median/p90/p99 (round %d) | - | %s | %s "
                    "| +%.2f ms median | (Little's law: 64 conns / throughput) |"
                    % (i + 1, lat(d), lat(e), r["added_median_ms"]))
        rows.append("| keep-alive 64 conns, errors (round %d) | 0 | %d | %d | | |"
                    % (i + 1, d["errors"] + d["bad_status"], e["errors"] + e["bad_status"]))
        row = cpu_row("keep-alive 64 conns (round %d)" % (i + 1), d, e, a.layout == "shared")
        if row:
            rows.append(row)
    for i, r in enumerate(out.get("keepalive1", [])):
        d, e = r["direct"], r["engine"]
        rows.append("| 1 conn, latency ms median/p90/p99 (round %d) | added median <= 0.5 ms | %s "
                    "| %s | +%.3f ms | %s |" % (i + 1, lat(d), lat(e), r["added_median_ms"],
                                                "met" if r["added_median_ms"] <= 0.5 else "missed"))
    if "tunnels_engine" in out:
        d, e = out["tunnels_direct"], out["tunnels_engine"]
        rows.append("| new tunnels/s (%d workers), setup ms median/p99 | >= 1,000/s | %.0f (%.1f/%.1f) "
                    "| %.0f (%.1f/%.1f) | errors %d / %d | %s |"
                    % (a.tunnel_workers, d["per_second"], d["latency_ms"]["median"],
                       d["latency_ms"]["p99"], e["per_second"], e["latency_ms"]["median"],
                       e["latency_ms"]["p99"], d["errors"] + d["bad_status"],
                       e["errors"] + e["bad_status"],
                       "met" if e["per_second"] >= 1000 else "missed"))
        row = cpu_row("new tunnels", d, e, a.layout == "shared")
        if row:
            rows.append(row)
    if "tunnels_engine_unpooled" in out:
        d, e = out["tunnels_direct"], out["tunnels_engine_unpooled"]
        rows.append("| new tunnels/s, engine without upstream pool (new upstream TCP + TLS per "
                    "tunnel), setup ms median/p99 | >= 1,000/s | %.0f (%.1f/%.1f) "
                    "| %.0f (%.1f/%.1f) | errors %d / %d | %s |"
                    % (d["per_second"], d["latency_ms"]["median"], d["latency_ms"]["p99"],
                       e["per_second"], e["latency_ms"]["median"], e["latency_ms"]["p99"],
                       d["errors"] + d["bad_status"], e["errors"] + e["bad_status"],
                       "met" if e["per_second"] >= 1000 else "missed"))
        c = cpu_per_unit(e)
        if c:
            busy = sum(v["user"] + v["sys"] for v in e["cpu_s"].values()) / e["wall_s"]
            rows.append("| same, CPU µs per tunnel: loadgen / upstream / engine (engine sys) | - | "
                        "| %.0f / %.0f / %.0f (%.0f): %.0f tunnels/s per engine core; %.2f cores busy "
                        "| | |" % (c["loadgen"][0], c["upstream"][0], c["engine"][0], c["engine"][1],
                                   1e6 / c["engine"][0], busy))
    for key, label in (("idle_tls", "TLS done"), ("idle_request", "TLS + 1 request")):
        if key in out:
            r = out[key]
            rows.append("| %d idle tunnels (%s): engine RSS added | <= 64 MiB | | %.1f -> %.1f MiB "
                        "(%d -> %d fds) | +%.1f MiB | %s |"
                        % (r["tunnels"], label, r["rss_before_mib"], r["rss_after_mib"],
                           r["fds_before"], r["fds_after"], r["rss_added_mib"],
                           "met" if r["rss_added_mib"] <= 64 and r["ready"] == r["tunnels"]
                           else "missed"))
    if "soak" in out:
        s = out["soak"]
        k, t = s["keepalive"], s["tunnels"]
        rss = [x["rss_mib"] for x in s["samples"][1:]] or [0]
        fds = [x["fds"] for x in s["samples"][1:]] or [0]
        errs = k["errors"] + k["bad_status"] + t["errors"] + t["bad_status"]
        rows.append("| soak %gs: 64 keep-alive conns + 4 tunnel-churn workers | no error, no fd/RSS "
                    "growth | | %d req + %d tunnels, %d errors; fds %d-%d, RSS %.1f-%.1f MiB | | %s |"
                    % (a.soak, k["completed"], t["completed"], errs, min(fds), max(fds), min(rss),
                       max(rss), "see samples"))
    return "\n".join(rows)


if __name__ == "__main__":
    main()
