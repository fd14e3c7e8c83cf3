#!/usr/bin/env python3
"""Launch benchmark: `sandbox-run --rm IMG true` against `docker run --rm IMG true`.

For each variant it measures, per launch, the wall time from fork to exit and
the launcher process's own resource use from wait4(): CPU time (user + sys)
and peak RSS (ru_maxrss), through the small helper rusage_exec.c (compiled
with cc for the run; see there why Python cannot measure RSS itself). Runs alternate between the variants (the order flips
every round) after a few discarded warm-up runs. Then PARALLEL launches of each
variant are started at once (a batch), for ROUNDS batches.

Prints a markdown report (tables + targets) on stdout; --json writes the raw
numbers. Python 3 stdlib plus a C compiler. The image must already exist locally
(scripts/build-images.sh); nothing is ever pulled.

Targets (issue 2): wall ratio <= 1.0, launcher CPU <= 25 % and peak RSS <= 25 %
of the Docker CLI's. A later "egress on" row is added with
  --variant 'sandbox-run (egress on)=env SOME_STATE=... build/bin/sandbox-run'
(a variant is NAME=COMMAND-PREFIX; `env` execs in place, so the measured
process is still the launcher).
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_IMAGE = "sandbox-run-test/busybox:latest"
TARGETS = {"wall": 1.0, "cpu": 0.25, "rss": 0.25}


class LaunchFailed(Exception):
    pass


class Helper:
    """bench/launch/rusage_exec.c, compiled for this run (static when libc.a is there).

    Each launch runs as `rusage_exec OUTFILE LAUNCHER...`: the helper forks, execs
    and wait4()s the launcher and writes its wall time, CPU and peak RSS. Measuring
    from Python directly would fold the interpreter's RSS into ru_maxrss (see the .c).
    """

    def __init__(self, workdir):
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rusage_exec.c")
        self.path = os.path.join(workdir, "rusage_exec")
        cc = os.environ.get("CC", "cc")
        self.static = True
        r = subprocess.run([cc, "-O2", "-static", "-o", self.path, src], capture_output=True, text=True)
        if r.returncode != 0:
            self.static = False
            r = subprocess.run([cc, "-O2", "-o", self.path, src], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("bench_launch: compiling %s with %s failed:\n%s" % (src, cc, r.stderr))


class Variant:
    def __init__(self, name, prefix, image, command):
        self.name = name
        self.argv = prefix + ["--rm", image] + command

    @classmethod
    def raw(cls, name, argv):
        v = cls(name, [], "", [])
        v.argv = argv
        return v

    def spawn(self, helper, result_path, output_fd):
        """Starts one launch under the helper, stdin on /dev/null, stdout+stderr to OUTPUT_FD."""
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, output_fd, 1),
            (os.POSIX_SPAWN_DUP2, output_fd, 2),
        ]
        argv = [helper.path, result_path] + self.argv
        return os.posix_spawn(helper.path, argv, os.environ, file_actions=actions)


class Launch:
    """One launch's files: the helper's result line and the launcher's output."""

    def __init__(self, workdir, index):
        self.result_path = os.path.join(workdir, "result-%d" % index)
        self.output = tempfile.TemporaryFile(dir=workdir)

    def collect(self, variant, status):
        self.output.seek(0)
        tail = self.output.read().decode(errors="replace")[-2000:]
        self.output.close()
        code = os.waitstatus_to_exitcode(status)
        try:
            with open(self.result_path) as f:
                wall_ns, user_us, sys_us, rss_kib, _ = (int(x) for x in f.read().split())
            os.unlink(self.result_path)
        except (OSError, ValueError):
            raise LaunchFailed("%s: no measurement (helper exited %d): %s\n%s"
                               % (variant.name, code, shlex.join(variant.argv), tail))
        if code != 0:
            raise LaunchFailed("%s exited %d: %s\n%s" % (variant.name, code, shlex.join(variant.argv), tail))
        return {"wall_ms": wall_ns / 1e6, "cpu_ms": (user_us + sys_us) / 1e3, "rss_kib": rss_kib}


class Runner:
    def __init__(self, helper, workdir):
        self.helper = helper
        self.workdir = workdir
        self.count = 0

    def _new_launch(self):
        self.count += 1
        return Launch(self.workdir, self.count)

    def once(self, variant):
        launch = self._new_launch()
        pid = variant.spawn(self.helper, launch.result_path, launch.output.fileno())
        _, status = os.waitpid(pid, 0)
        return launch.collect(variant, status)

    def batch(self, variant, count):
        """Starts COUNT launches at once; returns (batch wall ms, per-launch samples)."""
        start = time.monotonic()
        pending = {}
        for _ in range(count):
            launch = self._new_launch()
            pending[variant.spawn(self.helper, launch.result_path, launch.output.fileno())] = launch
        samples, failure = [], None
        while pending:
            pid, status = os.waitpid(-1, 0)
            launch = pending.pop(pid, None)
            if launch is None:
                continue
            try:
                samples.append(launch.collect(variant, status))
            except LaunchFailed as e:
                failure = failure or e
        batch_ms = (time.monotonic() - start) * 1000.0
        if failure:
            raise failure
        return batch_ms, samples


def median(samples, key):
    return statistics.median(s[key] for s in samples)


def p90(samples, key):
    values = sorted(s[key] for s in samples)
    return values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]


def sequential(runner, variants, runs, warmup):
    results = {v.name: [] for v in variants}
    for _ in range(warmup):
        for v in variants:
            runner.once(v)
    for i in range(runs):
        order = variants if i % 2 == 0 else list(reversed(variants))
        for v in order:
            results[v.name].append(runner.once(v))
    return results


def parallel(runner, variants, count, rounds):
    results = {v.name: {"batch_ms": [], "samples": []} for v in variants}
    for i in range(rounds):
        order = variants if i % 2 == 0 else list(reversed(variants))
        for v in order:
            batch_ms, samples = runner.batch(v, count)
            results[v.name]["batch_ms"].append(batch_ms)
            results[v.name]["samples"].extend(samples)
    return results


def tool_output(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else "?"
    except (OSError, subprocess.TimeoutExpired) as e:
        return "? (%s)" % e


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = "%.0f GiB" % (int(f.readline().split()[1]) / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return "%s, %d cores (%s), %s RAM, kernel %s" % (
        platform.node() or "?", os.cpu_count() or 0, model, mem, platform.release())


def fmt_ratio(value, target):
    verdict = "meets" if value <= target else "MISSES"
    return "%.2f (target <= %.2f: %s)" % (value, target, verdict)


def report(args, variants, seq, par, docker_name, measure):
    out = []
    w = out.append
    w("## Launch benchmark (%s)" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    w("")
    w("- machine: %s" % machine())
    w("- load average at the end: %s (other work on the machine skews the numbers)"
      % " ".join("%.2f" % x for x in os.getloadavg()))
    w("- docker CLI: `%s` — %s" % (args.docker, tool_output([args.docker, "--version"])))
    w("- daemon: %s" % tool_output([args.docker, "version", "-f", "{{.Server.Version}} (API {{.Server.APIVersion}})"]))
    w("- sandbox-run: `%s` — %s" % (args.sandbox_run, tool_output(shlex.split(args.sandbox_run) + ["--version"])))
    w("- image: `%s`, command: `%s`" % (args.image, shlex.join(args.command)))
    w("- %d alternating runs per variant after %d warm-up; %d x %d parallel launches"
      % (args.runs, args.warmup, args.rounds, args.parallel))
    w("- measured through %s" % measure)
    w("- reproduce: `%s`" % shlex.join(["python3", "bench/launch/bench_launch.py"] + sys.argv[1:]))
    w("")
    if seq:
        base = seq[docker_name]
        w("### Sequential launches (median over %d runs)" % args.runs)
        w("")
        w("| variant | wall ms (median) | wall ms (p90) | launcher CPU ms | launcher peak RSS MiB "
          "| wall ratio | CPU ratio | RSS ratio |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        for v in variants:
            s = seq[v.name]
            ratios = ("| %.2f | %.2f | %.2f |" % (
                median(s, "wall_ms") / median(base, "wall_ms"),
                median(s, "cpu_ms") / median(base, "cpu_ms"),
                median(s, "rss_kib") / median(base, "rss_kib"))) if v.name != docker_name else "| 1 | 1 | 1 |"
            w("| %s | %.1f | %.1f | %.1f | %.1f %s" % (
                v.name, median(s, "wall_ms"), p90(s, "wall_ms"), median(s, "cpu_ms"),
                median(s, "rss_kib") / 1024.0, ratios))
        w("")
        w("Targets (each sandbox-run variant against `%s`):" % docker_name)
        w("")
        for v in variants:
            if v.name == docker_name:
                continue
            s = seq[v.name]
            w("- %s: wall %s; CPU %s; RSS %s" % (
                v.name,
                fmt_ratio(median(s, "wall_ms") / median(base, "wall_ms"), TARGETS["wall"]),
                fmt_ratio(median(s, "cpu_ms") / median(base, "cpu_ms"), TARGETS["cpu"]),
                fmt_ratio(median(s, "rss_kib") / median(base, "rss_kib"), TARGETS["rss"])))
        first = variants[0]
        for v in variants[1:]:
            if v.name != docker_name:
                w("- %s adds %.1f ms median wall over %s" % (
                    v.name, median(seq[v.name], "wall_ms") - median(seq[first.name], "wall_ms"), first.name))
        w("")
    if par:
        w("### %d launches in parallel (%d batches per variant)" % (args.parallel, args.rounds))
        w("")
        w("| variant | batch wall ms (median) | per-launch wall ms (median) | per-launch wall ms (max) "
          "| launcher CPU ms (median) | launcher peak RSS MiB (median) | batch wall ratio |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        base_batch = statistics.median(par[docker_name]["batch_ms"])
        for v in variants:
            p = par[v.name]
            s = p["samples"]
            batch = statistics.median(p["batch_ms"])
            w("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f |" % (
                v.name, batch, median(s, "wall_ms"), max(x["wall_ms"] for x in s),
                median(s, "cpu_ms"), median(s, "rss_kib") / 1024.0, batch / base_batch))
        w("")
    return "\n".join(out)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sandbox-run", default=os.path.join(ROOT, "build", "bin", "sandbox-run"),
                    help="sandbox-run command (shell-split; default build/bin/sandbox-run)")
    ap.add_argument("--docker", default=shutil.which("docker") or "docker", help="Docker CLI (default: docker on PATH)")
    ap.add_argument("--image", default=DEFAULT_IMAGE)
    ap.add_argument("--runs", type=int, default=20, help="sequential runs per variant (default 20)")
    ap.add_argument("--warmup", type=int, default=2, help="discarded warm-up runs per variant (default 2)")
    ap.add_argument("--parallel", type=int, default=16, help="launches per parallel batch (default 16; 0 = skip)")
    ap.add_argument("--rounds", type=int, default=3, help="parallel batches per variant (default 3)")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=COMMAND",
                    help="extra variant, NAME=COMMAND-PREFIX (shell-split; `--rm IMAGE CMD` is appended, "
                         "with --exec `exec NAME CMD`)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw samples as JSON")
    ap.add_argument("--exec", action="store_true",
                    help="measure `sandbox-run exec` against `docker exec` into one long-lived sandbox "
                         "(started with `sandbox-run -d`) instead of launches")
    ap.add_argument("command", nargs="*", default=["true"], help="command run in the container (default: true)")
    return ap.parse_args()


def exec_variants(args, name, extra):
    """`sandbox-run exec NAME CMD` against `docker exec NAME CMD`; each --variant
    (NAME=COMMAND-PREFIX) runs `PREFIX exec NAME CMD`."""
    variants = [Variant.raw("sandbox-run exec", shlex.split(args.sandbox_run) + ["exec", name] + args.command),
                Variant.raw("docker exec", [args.docker, "exec", name] + args.command)]
    for label, prefix in extra:
        variants.append(Variant.raw(label, prefix + ["exec", name] + args.command))
    return variants


def start_exec_target(args):
    name = "bench-exec-%d" % os.getpid()
    r = subprocess.run(shlex.split(args.sandbox_run) + ["-d", "--pull", "never", "--name", name, args.image,
                                                        "sleep", "3600"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("bench_launch: starting the exec target failed: " + r.stderr)
    return name


def main():
    args = parse_args()
    docker_name = "docker exec" if args.exec else "docker run"
    target = None
    variants = [
        Variant("sandbox-run", shlex.split(args.sandbox_run), args.image, args.command),
        Variant(docker_name, [args.docker, "run"], args.image, args.command),
    ]
    extra = []
    for spec in args.variant:
        name, sep, prefix = spec.partition("=")
        if not sep or not name or not prefix:
            sys.exit("bench_launch: --variant wants NAME=COMMAND, got %r" % spec)
        extra.append((name, shlex.split(prefix)))
        variants.append(Variant(name, shlex.split(prefix), args.image, args.command))
    check = subprocess.run([args.docker, "image", "inspect", args.image], capture_output=True)
    if check.returncode != 0:
        sys.exit("bench_launch: image %s is not present locally; run scripts/build-images.sh "
                 "(this benchmark never pulls)" % args.image)
    if args.exec:
        target = start_exec_target(args)
        variants = exec_variants(args, target, extra)
    try:
        run_and_report(args, variants, docker_name)
    finally:
        if target:
            subprocess.run([args.docker, "rm", "-f", target], capture_output=True)


def run_and_report(args, variants, docker_name):
    with tempfile.TemporaryDirectory(prefix="bench-launch.") as workdir:
        helper = Helper(workdir)
        runner = Runner(helper, workdir)
        try:
            floor = runner.once(Variant.raw("floor", ["true"]))["rss_kib"]
            seq = sequential(runner, variants, args.runs, args.warmup) if args.runs > 0 else None
            par = (parallel(runner, variants, args.parallel, args.rounds)
                   if args.parallel > 0 and args.rounds > 0 else None)
        except LaunchFailed as e:
            sys.exit("bench_launch: a launch failed, no numbers reported:\n%s" % e)
        measure = "bench/launch/rusage_exec.c (%s), fork + exec + wait4; RSS floor (`true` under it): %d KiB" % (
            "static" if helper.static else "dynamic", floor)
    print(report(args, variants, seq, par, docker_name, measure))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"sequential": seq, "parallel": par,
                       "variants": {v.name: v.argv for v in variants}}, f, indent=1)


if __name__ == "__main__":
    main()
