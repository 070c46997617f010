"""threaded.py -- the threaded part of `make bench` (bench/threaded/README.md).

Runs BUILD/bench/threaded/native_threaded and weft_threaded (built by
build.sh), checks that weft's checksums equal native's, and makes the table:
contended i32.atomic.rmw.add throughput, wait/notify ping-pong round trip,
the speedup of a prime count from 1 to 2 threads, the cost of spawning
and joining a thread (spawn_native and `BUILD/weft run spawn.wasm`), and
memory.grow under threads (grow_native and `BUILD/weft run grow_stress.wasm`).  bench.py calls run()
and appends the result to its output and to results.md; run directly
(`python3 bench/threaded/threaded.py BUILD`) it prints the table alone.

Each driver process runs every measurement BENCH_REPEAT times, interleaved,
and the drivers run BENCH_THREADED_ROUNDS times (default 4), alternating; the
minimum time of each measurement over all of them is used (BENCH_STAT=median
for the median).
"""
import os
import re
import subprocess
import sys

# (kernel, threads) pairs every driver prints, in the order of the table.
MEASUREMENTS = [("contend", 2), ("contend_sum", 2), ("pingpong", 2), ("primes", 1),
                ("primes", 2)]
# What the spawn program (spawn.c) prints.
SPAWN_MEASUREMENTS = [("spawn", 1)]
# What examples/grow_stress.c prints with --bench: its threads, 2 growers + 2
# edge threads.  GROW_ARGS: grows per grower, growers, edge threads; its
# rounds are BENCH_REPEAT, at most GROW_MAX_ROUNDS (all must fit in 2 GiB).
GROW_MEASUREMENTS = [("grow_stress", 4)]
GROW_ARGS = ["1500", "2", "2"]
GROW_MAX_ROUNDS = 8


class Driver:
    """What one driver process produced: parse()'s dictionary."""

    def __init__(self, results=None, error=None, fatal=False):
        self.results = results or {}
        self.error = error
        self.fatal = fatal


# Kernels whose threads all run at once: a run of these on n threads only
# measures what it is meant to (contention, parallel speedup) if it got about n
# CPUs; when other work on the machine took one, the threads ran in turns --
# which, for the contended adds, is even faster than contending.
PARALLEL = {"contend", "contend_sum", "primes"}

# Kernels compared by their median run, whatever BENCH_STAT says.  Where the
# host puts the two vCPUs decides what a contended cache line costs, and it
# changes from one thread creation to the next: both engines see two modes
# (here ~55-80 and ~125-140 Mops/s of contended adds, native and weft alike),
# the fast one in a few runs out of ten.  The minimum time then measures which
# engine drew a fast run, not the engine; the median compares typical runs.
MEDIAN = {"contend", "contend_sum"}


def parse(text, stat):
    """{(kernel, threads): (checksum, ms, ops, cpus)} from a driver's output,
    taking the run of minimum (or median) time; cpus = its CPU time / wall time.
    For a PARALLEL kernel on n > 1 threads only the runs that got at least
    0.9 n CPUs count, if there are any (the table shows the CPUs each got)."""
    runs, checksums, counts, errors = {}, {}, {}, []
    for line in text.splitlines():
        m = re.match(r"^(\w+) (\d+) checksum (\d+) ops (\d+) ms ([\d.]+) cpu ([\d.]+)$",
                     line.strip())
        if not m:
            continue
        key = (m.group(1), int(m.group(2)))
        checksum, ops = int(m.group(3)), int(m.group(4))
        ms, cpu = float(m.group(5)), float(m.group(6))
        if key in checksums and checksums[key] != checksum:
            errors.append(f"{key[0]} on {key[1]} threads returned {checksums[key]} then {checksum}")
        checksums.setdefault(key, checksum)
        counts[key] = ops
        runs.setdefault(key, []).append((ms, cpu))
    results = {}
    for k, v in runs.items():
        if k[0] in PARALLEL and k[1] > 1:
            v = [r for r in v if r[0] > 0 and r[1] / r[0] >= 0.9 * k[1]] or v
        v.sort()
        ms, cpu = v[0] if stat == "min" and k[0] not in MEDIAN else v[(len(v) - 1) // 2]
        results[k] = (checksums[k], ms, counts[k], cpu / ms if ms > 0 else None)
    return results, errors


class Spec:
    """A driver to run: its command, which failure messages mean "this weft
    cannot run it yet" (not a failure of make bench), what it must print."""

    def __init__(self, argv, unavailable=lambda msg: False, expect=MEASUREMENTS):
        self.argv, self.unavailable, self.expect = argv, unavailable, expect


def run_once(spec, settings):
    """One process of a driver: (its output, None) or (None, the failed Driver)."""
    try:
        p = subprocess.run(spec.argv, capture_output=True, text=True, timeout=settings["timeout"])
    except subprocess.TimeoutExpired:
        return None, Driver(error=f"timed out after {settings['timeout']} s", fatal=True)
    except OSError as e:
        return None, Driver(error=f"cannot run {spec.argv[0]}: {e}", fatal=True)
    results, errors = parse(p.stdout, settings["stat"])
    missing = [k for k in spec.expect if k not in results]
    if p.returncode != 0 or missing or errors:
        if p.returncode < 0:
            msg = f"killed by signal {-p.returncode}"
        elif errors:
            msg = errors[0]
        else:
            msg = next((l.strip() for l in (p.stderr + p.stdout).splitlines() if l.strip()),
                       f"exit status {p.returncode}")
            msg = re.sub(r"^(weft|native): ", "", msg)
        return None, Driver(error=msg[:160], fatal=not spec.unavailable(msg))
    return p.stdout, None


def run_alternating(specs, settings):
    """Runs the drivers settings["rounds"] times, one after the other in each
    round, and parses each one's output of all rounds together.  Alternating
    matters on a virtual machine: where the host puts the two vCPUs (one core
    or two, near or far) changes what contention costs, and it changes over
    minutes; runs of both engines spread over the same minutes see the same
    placements.  A driver that fails is not run again."""
    outputs, failed = [""] * len(specs), [None] * len(specs)
    for _ in range(settings["rounds"]):
        for i, spec in enumerate(specs):
            if spec is None or failed[i]:
                continue
            out, failed[i] = run_once(spec, settings)
            outputs[i] += out or ""
    drivers = []
    for i, spec in enumerate(specs):
        if spec is None or failed[i]:
            drivers.append(failed[i] or Driver())
            continue
        results, errors = parse(outputs[i], settings["stat"])
        drivers.append(Driver(error=errors[0], fatal=True) if errors else Driver(results=results))
    return drivers


def fmt(v, digits=1, suffix=""):
    return "n/a" if v is None else f"{v:.{digits}f}{suffix}"


def table(native, weft, nproc):
    """Rows: label, native, weft, weft vs native, issue target."""
    def ms(d, k):
        return d.results[k][1] if k in d.results else None

    def cpus(d, k):
        return d.results[k][3] if k in d.results else None

    def cpu_ms(d, k):
        return d.results[k][1] * d.results[k][3] if k in d.results and d.results[k][3] else None

    def div(a, b):
        return a / b if a is not None and b else None

    def per_op(d, k, scale):  # ms per op * scale, or ops per ms / scale
        return d.results[k][1] * scale / d.results[k][2] if k in d.results else None

    mops_n = div(1e-3, per_op(native, ("contend", 2), 1))  # adds per us = Mops/s
    mops_w = div(1e-3, per_op(weft, ("contend", 2), 1))
    sums_n = div(1e-3, per_op(native, ("contend_sum", 2), 1))
    sums_w = div(1e-3, per_op(weft, ("contend_sum", 2), 1))
    rt_n = per_op(native, ("pingpong", 2), 1e3)  # us per round trip
    rt_w = per_op(weft, ("pingpong", 2), 1e3)
    s1_n, s2_n = ms(native, ("primes", 1)), ms(native, ("primes", 2))
    s1_w, s2_w = ms(weft, ("primes", 1)), ms(weft, ("primes", 2))
    sp_n, sp_w = div(s1_n, s2_n), div(s1_w, s2_w)
    sj_n = per_op(native, ("spawn", 1), 1e3)  # us per thread
    sj_w = per_op(weft, ("spawn", 1), 1e3)
    gr_n = div(1e3, per_op(native, ("grow_stress", 4), 1))  # grows per second
    gr_w = div(1e3, per_op(weft, ("grow_stress", 4), 1))
    return [
        ["contended i32.atomic.rmw.add, 2 threads (Mops/s)", fmt(mops_n), fmt(mops_w),
         fmt(div(mops_w, mops_n), 2, " of native"), ">= 0.8 of native"],
        ["CPUs the contended adds got (CPU time / wall time)",
         fmt(cpus(native, ("contend", 2)), 2), fmt(cpus(weft, ("contend", 2)), 2), "", ""],
        ["the same, each old value added to a sum (Mops/s)", fmt(sums_n), fmt(sums_w),
         fmt(div(sums_w, sums_n), 2, " of native"), ""],
        ["wait/notify ping-pong round trip (us)", fmt(rt_n, 2), fmt(rt_w, 2),
         fmt(div(rt_w, rt_n), 2, "x native time"), "<= 2x native"],
        ["prime count, 1 thread (ms)", fmt(s1_n), fmt(s1_w), fmt(div(s1_w, s1_n), 2, "x native time"), ""],
        ["prime count, 2 threads (ms)", fmt(s2_n), fmt(s2_w), fmt(div(s2_w, s2_n), 2, "x native time"), ""],
        [f"prime count speedup, 1 -> 2 threads ({nproc} CPUs)", fmt(sp_n, 2), fmt(sp_w, 2), "",
         ">= 1.8 (weft)"],
        ["CPUs the 2-thread prime count got (CPU time / wall time)",
         fmt(cpus(native, ("primes", 2)), 2), fmt(cpus(weft, ("primes", 2)), 2), "", ""],
        ["prime count CPU time, 2 threads / 1 thread (1.00: no parallel overhead)",
         fmt(div(cpu_ms(native, ("primes", 2)), cpu_ms(native, ("primes", 1))), 2),
         fmt(div(cpu_ms(weft, ("primes", 2)), cpu_ms(weft, ("primes", 1))), 2), "", ""],
        ["spawn + join of a thread (us; 2,000 threads, 8 at a time)", fmt(sj_n, 1), fmt(sj_w, 1),
         fmt(div(sj_w, sj_n), 2, "x native time"), "<= 3x native"],
        ["memory.grow, 2 threads beside 2 edge threads (grows/s; examples/grow_stress.c)",
         fmt(gr_n, 0), fmt(gr_w, 0), fmt(div(gr_w, gr_n), 2, " of native"), ""],
    ]


def run(build, settings):
    """Runs both drivers; prints the table; returns (markdown lines, failures)."""
    out = os.path.join(build, "bench", "threaded")
    reps = [str(settings["repeat"])]
    grow_rounds = [str(min(settings["repeat"], GROW_MAX_ROUNDS))]
    print("bench: threaded kernels ...", file=sys.stderr, flush=True)
    unsupported = lambda msg: "unsupported" in msg.lower()  # noqa: E731
    specs = [Spec([os.path.join(out, "native_threaded")] + reps), None,
             # The spawn program: natively, and as a WASI program under the weft command.
             Spec([os.path.join(out, "spawn_native")] + reps, expect=SPAWN_MEASUREMENTS), None,
             # memory.grow under threads: natively, and under the weft command.
             Spec([os.path.join(out, "grow_native"), "--bench"] + GROW_ARGS + grow_rounds,
                  expect=GROW_MEASUREMENTS), None]
    missing = [None, None, None]  # why weft's driver / spawn / grow program cannot run
    weft_bin = os.path.join(out, "weft_threaded")
    if settings.get("weft_missing"):
        missing = [settings["weft_missing"], "", ""]  # the reason is noted once
    elif not os.path.exists(weft_bin):
        try:
            with open(os.path.join(out, "weft_threaded.log")) as f:
                why = next((l.strip() for l in f if l.strip()), "")
        except OSError:
            why = ""
        missing[0] = "weft_threaded not built" + (": " + why if why else "")
    else:
        specs[1] = Spec([weft_bin, os.path.join(out, "kernels.wasm")] + reps, unsupported)
    weft_cli = os.path.join(build, "weft")

    def weft_program(index, name, args, expect):
        """specs[index]: `weft run NAME.wasm ARGS`, or why it cannot run."""
        wasm = os.path.join(out, name + ".wasm")
        if missing[index // 2] is not None:
            pass
        elif not os.path.exists(weft_cli):
            missing[index // 2] = f"{name}: the weft command is not built"
        elif not os.path.exists(wasm):
            missing[index // 2] = f"{name}.wasm not built (see {name}_wasm.log)"
        else:
            specs[index] = Spec([weft_cli, "run", wasm] + args, unsupported, expect)
    weft_program(3, "spawn", reps, SPAWN_MEASUREMENTS)
    weft_program(5, "grow_stress", ["--bench"] + GROW_ARGS + grow_rounds, GROW_MEASUREMENTS)
    native, weft, native_spawn, weft_spawn, native_grow, weft_grow = \
        run_alternating(specs, settings)
    if missing[0]:
        weft = Driver(error=missing[0])
    if missing[1]:
        weft_spawn = Driver(error=missing[1])
    if missing[2]:
        weft_grow = Driver(error=missing[2])
    for d, part in [(native, native_spawn), (native, native_grow), (weft, weft_spawn),
                    (weft, weft_grow)]:
        d.results.update(part.results)

    failures, notes = [], []
    for who, d in [("native", native), ("native spawn", native_spawn), ("weft", weft),
                   ("weft spawn", weft_spawn), ("native grow_stress", native_grow),
                   ("weft grow_stress", weft_grow)]:
        if d.error:
            (failures if d.fatal else notes).append(f"threaded: {who}: {d.error}")
    for key in MEASUREMENTS + SPAWN_MEASUREMENTS + GROW_MEASUREMENTS:
        if key in native.results and key in weft.results:
            n, w = native.results[key][0], weft.results[key][0]
            if n != w:
                failures.append(f"threaded: {key[0]} on {key[1]} threads: weft returned "
                                f"checksum {w}, native {n}")
                del weft.results[key]
    rows = table(native, weft, os.cpu_count())

    header = ["threaded kernel", "native", "weft", "weft vs native", "target (issue)"]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    print()
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    for n in notes:
        print("note: " + n)

    md = ["", "## Threaded kernels", "",
          "bench/threaded/: host threads, each with its own weft instance of one module "
          "importing one shared memory, against the same C natively (C11 atomics, futex "
          "waits); see bench/threaded/README.md. The 2-thread figures need 2 idle CPUs: "
          "other load on the machine shows up directly in them. The contended adds are "
          "each engine's median run (their cost depends on where the host puts the two "
          "vCPUs, which changes from run to run); the other rows take BENCH_STAT.", ""]
    md.append("| " + " | ".join(header) + " |")
    md.append("|---|" + "|".join(["---:"] * (len(header) - 1)) + "|")
    for r in rows:
        md.append("| " + " | ".join(r) + " |")
    if notes or failures:
        md.append("")
        md += ["- " + n for n in notes] + ["- FAILED " + f for f in failures]
    return md, failures


def threaded_rounds():
    """BENCH_THREADED_ROUNDS: how many times each driver runs (alternating)."""
    return max(1, int(os.environ.get("BENCH_THREADED_ROUNDS", "6") or 6))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: threaded.py BUILD")
    settings = {
        "repeat": int(os.environ.get("BENCH_REPEAT", "3") or 3),
        "rounds": threaded_rounds(),
        "timeout": int(os.environ.get("BENCH_TIMEOUT", "1800") or 1800),
        "stat": os.environ.get("BENCH_STAT", "min"),
    }
    md, failures = run(os.path.abspath(sys.argv[1]), settings)
    for f in failures:
        print("bench: FAILED " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
