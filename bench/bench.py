#!/usr/bin/env python3
"""bench.py BUILD -- runs every kernel built by build.sh natively, in weft (once
per tier: the interpreter and the compiler, BENCH_TIERS) and in Node.js, checks
that every engine returns native's checksum, and prints a table of times and
speed ratios (native time / engine time: 1.0 is native speed, higher is
better), a column of each per weft tier, also written as Markdown to
bench/results.md.

Each runner process loads one kernel, calls run() BENCH_WARMUP times untimed,
then BENCH_REPEAT times timed; a kernel's time is the minimum (BENCH_STAT=min)
or median (BENCH_STAT=median) of the timed calls.  Only the calls are timed,
never process start-up, decoding or compilation -- except with BENCH_WEFT=cli,
which times whole `weft run --invoke run K.wasm` processes instead.

Exit status: 0 when every engine that ran agreed with native; 1 on a checksum
mismatch, a native or Node.js failure, or a weft failure other than "this
build cannot do that yet" (no libweft to link, or an unsupported-feature
error), which is shown as n/a with its reason.  See bench/README.md.
"""
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def env_int(name, default, minimum):
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        sys.exit(f"bench: {name} must be an integer, not {raw!r}")
    if value < minimum:
        sys.exit(f"bench: {name} must be at least {minimum}")
    return value


def env_list(name):
    return [x for x in re.split(r"[\s,]+", os.environ.get(name, "")) if x]


class Outcome:
    """What one engine did with one kernel."""

    def __init__(self, ms=None, checksum=None, error=None, fatal=False):
        self.ms = ms                # the kernel's time, or None
        self.checksum = checksum    # u64, or None
        self.error = error          # why there is no time
        self.fatal = fatal          # does this error fail `make bench`?


def parse_runner_output(text):
    checksum, times = None, []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "checksum":
            checksum = int(parts[1])
        elif len(parts) == 2 and parts[0] == "ms":
            times.append(float(parts[1]))
    return checksum, times


def first_line(text, limit=160):
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def summarise(times, stat):
    return min(times) if stat == "min" else statistics.median(times)


def run_runner(argv, settings, unavailable=lambda msg: False, env=None):
    """Runs a runner that speaks the checksum/ms protocol of native_main.c."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=settings["timeout"],
                           env=env)
    except subprocess.TimeoutExpired:
        return Outcome(error=f"timed out after {settings['timeout']} s", fatal=True)
    except OSError as e:
        return Outcome(error=f"cannot run {argv[0]}: {e}", fatal=True)
    checksum, times = parse_runner_output(p.stdout)
    if p.returncode != 0 or checksum is None or len(times) != settings["repeat"]:
        if p.returncode < 0:
            msg = f"killed by signal {-p.returncode}"
        else:
            msg = first_line(p.stderr) or first_line(p.stdout) or f"exit status {p.returncode}"
            msg = re.sub(r"^(weft|node|native): ", "", msg)  # the column already says who
        return Outcome(error=msg, fatal=not unavailable(msg))
    return Outcome(ms=summarise(times, settings["stat"]), checksum=checksum)


def weft_unavailable(msg):
    # The engine says it cannot do this yet: not a wrong answer, not a crash.
    return "unsupported" in msg.lower()


def run_weft_cli(build, wasm, settings, tier):
    """BENCH_WEFT=cli: times whole `weft run --tier=TIER --invoke run K.wasm`
    processes (start-up, decoding, validation and instantiation included)."""
    weft = os.path.join(build, "weft")
    argv = [weft, "run", f"--tier={tier}", "--invoke", "run", wasm]
    times, checksum = [], None
    for i in range(settings["warmup"] + settings["repeat"]):
        t0 = time.perf_counter()
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=settings["timeout"])
        except subprocess.TimeoutExpired:
            return Outcome(error=f"timed out after {settings['timeout']} s", fatal=True)
        except OSError as e:
            return Outcome(error=f"cannot run {weft}: {e}", fatal=True)
        elapsed = (time.perf_counter() - t0) * 1e3
        if p.returncode != 0:
            msg = first_line(p.stderr) or first_line(p.stdout) or f"exit status {p.returncode}"
            # An older weft has no `run --invoke` at all: it prints its usage.
            unavailable = weft_unavailable(msg) or msg.startswith("usage")
            return Outcome(error=msg, fatal=not unavailable)
        # The result is the last integer printed (e.g. "123" or "123:i64");
        # an i64 may be printed signed, so it is reduced to u64.
        numbers = re.findall(r"-?\d+", p.stdout)
        if not numbers:
            return Outcome(error=f"no result in output: {first_line(p.stdout)!r}", fatal=True)
        value = int(numbers[-1]) & (2**64 - 1)
        if checksum is None:
            checksum = value
        elif value != checksum:
            return Outcome(error=f"returned {checksum} then {value}", fatal=True)
        if i >= settings["warmup"]:
            times.append(elapsed)
    return Outcome(ms=summarise(times, settings["stat"]), checksum=checksum)


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def machine_lines(settings):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(argv):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
            return first_line(out)
        except (OSError, subprocess.SubprocessError):
            return "n/a"

    commit = version(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    tiers = ", ".join(f"`{t}`" for t in settings["tiers"])
    try:
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        if dirty:
            commit += " with uncommitted changes"
    except (OSError, subprocess.SubprocessError):
        pass
    return [
        f"- machine: {cpu}, {os.cpu_count()} CPUs (nproc), {platform.system()} {platform.release()}",
        f"- compiler: {version([settings['cc'], '--version'])}",
        f"- node: {version(['node', '--version']) if shutil.which('node') else 'not installed'}",
        f"- weft: commit {commit}, weft column measured by "
        + ("whole `weft run --invoke` processes" if settings["weft_mode"] == "cli"
           else "bench/weft_main.c (libweft, timing weft_call only)")
        + f", a column per tier (BENCH_TIERS: {tiers}; the threaded table runs the default tier)",
        f"- settings: BENCH_WARMUP={settings['warmup']} BENCH_REPEAT={settings['repeat']} "
        f"BENCH_STAT={settings['stat']}; date {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- load average (1 min) at start {settings['load_start']}, at end {load_average()}: "
        "other work on the machine inflates times (ratios are less affected, since each "
        "kernel's engines run back to back)",
    ]


def fmt_ms(o):
    return f"{o.ms:.1f}" if o.ms is not None else "n/a"


def ratio(native, other):
    if native.ms is None or other.ms is None or other.ms <= 0:
        return None
    return native.ms / other.ms


def fmt_ratio(r):
    return f"{r:.3f}" if r is not None else "n/a"


def is_simd(kernel):
    """The simd_* kernels (built with -msimd128, bench/build.sh) have their own
    geomean row, so the scalar kernels' stays comparable across history."""
    return kernel.startswith("simd_")


def default_tiers():
    """Both tiers where the compiler exists (x86-64), else the interpreter."""
    if platform.machine().lower() in ("x86_64", "amd64"):
        return ["interp", "jit"]
    return ["interp"]


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench.py BUILD")
    build = os.path.abspath(sys.argv[1])
    out = os.path.join(build, "bench")
    settings = {
        "warmup": env_int("BENCH_WARMUP", 1, 0),
        "repeat": env_int("BENCH_REPEAT", 3, 1),
        "timeout": env_int("BENCH_TIMEOUT", 1800, 1),
        "stat": os.environ.get("BENCH_STAT", "min"),
        "weft_mode": os.environ.get("BENCH_WEFT", "api"),
        "cc": os.environ.get("BENCH_CC", "clang-19"),
        "load_start": load_average(),
        "tiers": env_list("BENCH_TIERS") or default_tiers(),
    }
    for t in settings["tiers"]:
        if t not in ("interp", "jit", "auto"):
            sys.exit("bench: BENCH_TIERS lists interp, jit and/or auto")
    tiers = settings["tiers"]
    if settings["stat"] not in ("min", "median"):
        sys.exit("bench: BENCH_STAT must be min or median")
    if settings["weft_mode"] not in ("api", "cli"):
        sys.exit("bench: BENCH_WEFT must be api or cli")
    results_path = os.environ.get("BENCH_RESULTS", os.path.join(HERE, "results.md"))

    kernels = sorted(f[:-2] for f in os.listdir(os.path.join(HERE, "kernels")) if f.endswith(".c"))
    wanted = env_list("BENCH_KERNELS")
    if wanted:
        unknown = sorted(set(wanted) - set(kernels))
        if unknown:
            sys.exit(f"bench: unknown kernel(s) {', '.join(unknown)}; have {', '.join(kernels)}")
        kernels = [k for k in kernels if k in wanted]
    engines = env_list("BENCH_ENGINES") or ["weft", "node"]
    for e in engines:
        if e not in ("weft", "node"):
            sys.exit("bench: BENCH_ENGINES lists weft and/or node (native always runs)")

    weft_bench = os.path.join(out, "weft_bench")
    weft_missing = None
    if "weft" not in engines:
        weft_missing = "not selected (BENCH_ENGINES)"
    elif settings["weft_mode"] == "api" and not os.path.exists(weft_bench):
        try:
            with open(os.path.join(out, "weft_bench.log")) as f:
                weft_missing = "weft_bench not built: " + first_line(f.read())
        except OSError:
            weft_missing = "weft_bench not built"
    node_missing = None
    if "node" not in engines:
        node_missing = "not selected (BENCH_ENGINES)"
    elif not shutil.which("node"):
        node_missing = "node is not installed"

    wn = [str(settings["warmup"]), str(settings["repeat"])]
    rows, failures, notes = [], [], {}
    for k in kernels:
        wasm = os.path.join(out, "wasm", k + ".wasm")
        print(f"bench: {k} ...", file=sys.stderr, flush=True)
        native = run_runner([os.path.join(out, "native", k)] + wn, settings)
        wefts = []
        for t in tiers:
            if weft_missing:
                wefts.append(Outcome(error=weft_missing))
            elif settings["weft_mode"] == "cli":
                wefts.append(run_weft_cli(build, wasm, settings, t))
            else:
                # weft_main.c's engine takes its tier from WEFT_TIER (weft_config_init).
                wefts.append(run_runner([weft_bench, wasm] + wn, settings, weft_unavailable,
                                        env=dict(os.environ, WEFT_TIER=t)))
        if node_missing:
            node = Outcome(error=node_missing)
        else:
            node = run_runner(["node", os.path.join(HERE, "run_node.mjs"), wasm] + wn, settings)

        if native.error:
            failures.append(f"{k}: native: {native.error}")
        for name, o in [(f"weft {t}", w) for t, w in zip(tiers, wefts)] + [("node", node)]:
            if o.error:
                if o.fatal:
                    failures.append(f"{k}: {name}: {o.error}")
                notes.setdefault((name, o.error), []).append(k)
            elif native.checksum is not None and o.checksum != native.checksum:
                failures.append(f"{k}: {name} returned checksum {o.checksum}, "
                                f"native {native.checksum}")
                o.ms = None  # a wrong answer has no time worth showing
                o.error = "checksum mismatch"
                notes.setdefault((name, o.error), []).append(k)
        rows.append((k, native, wefts, node))
        print(f"bench: {k}: native {fmt_ms(native)} ms, "
              + ", ".join(f"weft {t} {fmt_ms(w)} ms" for t, w in zip(tiers, wefts))
              + f", node {fmt_ms(node)} ms", file=sys.stderr, flush=True)

    # A time and a ratio column per weft tier ("weft interp ms", "jit/native").
    header = (["kernel", "native ms"] + [f"weft {t} ms" for t in tiers] + ["node ms"]
              + [f"{t}/native" for t in tiers] + ["node/native"])
    table = []
    # Two geometric means: the scalar kernels' (the row comparable with
    # earlier results) and the simd_* kernels' on a row of their own.
    # ratios[group][i]: engine i's ratios, the weft tiers in order, then node.
    ratios = {"scalar": [[] for _ in range(len(tiers) + 1)],
              "simd": [[] for _ in range(len(tiers) + 1)]}
    for k, native, wefts, node in rows:
        rs = [ratio(native, o) for o in wefts + [node]]
        group = ratios["simd" if is_simd(k) else "scalar"]
        for i, r in enumerate(rs):
            group[i].append(r)
        table.append([k, fmt_ms(native)] + [fmt_ms(o) for o in wefts + [node]]
                     + [fmt_ratio(r) for r in rs])
    for name, label in (("scalar", "geomean"), ("simd", "geomean simd")):
        group = ratios[name]
        if group[0]:
            table.append([label] + [""] * (len(tiers) + 2)
                         + [fmt_ratio(geomean(rs)) for rs in group])

    widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print(line(r))
    note_lines = [f"{name} n/a for {', '.join(ks)}: {err}" for (name, err), ks in notes.items()]
    for n in note_lines:
        print("note: " + n)

    md = ["# weft benchmark results", "",
          "Made by `make bench` (bench/run.sh); see bench/README.md for what is measured.",
          "Ratios are native time / engine time: 1.0 is native speed, higher is better.", ""]
    md += machine_lines(settings) + [""]
    md.append("| " + " | ".join(header) + " |")
    md.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    for r in table:
        md.append("| " + " | ".join(r) + " |")
    if note_lines:
        md.append("")
        md += ["- " + n for n in note_lines]
    if failures:
        md.append("")
        md += ["- FAILED " + f for f in failures]
    # The threaded kernels (bench/threaded/) print and append their own table.
    if os.environ.get("BENCH_THREADED", "1") != "0":
        sys.path.insert(0, os.path.join(HERE, "threaded"))
        import threaded
        t_md, t_failures = threaded.run(build, dict(
            settings, rounds=threaded.threaded_rounds(),
            weft_missing=None if "weft" in engines else "not selected (BENCH_ENGINES)"))
        md += t_md
        failures += t_failures
    # The startup benchmark (bench/startup/run.sh, run before this script).
    startup_md = os.path.join(out, "startup", "results.md")
    if os.path.exists(startup_md):
        with open(startup_md) as f:
            md += [""] + f.read().rstrip("\n").split("\n")
    with open(results_path, "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"bench: wrote {results_path}", file=sys.stderr)

    if failures:
        for f in failures:
            print("bench: FAILED " + f, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
