#!/usr/bin/env python3
"""run_guest.py -- runs the threaded guest programs (tests/guest/*.c, built
by tests/guest/CMakeLists.txt in two memory shapes) with `weft run` and
checks each one's exit status, stdout, stderr and running time.

    run_guest.py --weft build/weft --wasm-dir build/tests/guest \
                 --examples-dir build/examples [PROGRAM...]

Without PROGRAM it runs every case.  It prints one line per run: the
command, the status, the time.  Exit status 0 when every run passed.
"""
import argparse
import os
import re
import resource
import subprocess
import shutil
import socket
import sys
import tempfile
import time

TRAP = 134  # weft's exit status for a trap (cli/cli.h CLI_EXIT_TRAP)
EXIT_CODE = 7  # what term.c passes to proc_exit
REFUSED = r"\d+ threads alive, then spawn refused \(-\d+\); joined; later spawn ok\n"


class Case:
    def __init__(self, program, args=(), status=0, stdout=None, stderr=None, limit=None,
                 options=(), examples=False, tmpdir=False, fifos=(), sockets=(), rlimit_as=None,
                 native=False):
        self.program = program      # NAME of NAME.{imported,defined}.wasm
        self.args = list(args)      # the program's arguments
        self.status = status        # expected exit status
        self.stdout = stdout        # regex that must match the whole stdout
        self.stderr = stderr        # regex searched in stderr
        self.limit = limit          # seconds the whole run may take
        self.options = list(options)  # weft run options
        self.examples = examples    # the wasm lives in --examples-dir
        self.tmpdir = tmpdir or bool(fifos or sockets)  # preopen a fresh host folder as /data
        self.fifos = list(fifos)    # FIFOs made in it first (WASI cannot mkfifo)
        self.sockets = list(sockets)  # unix socket files made in it first
        self.rlimit_as = rlimit_as  # address-space limit in bytes (`ulimit -v`), or None
        self.native = native        # stdout must equal --native-dir's NAME_native's


def cases():
    out = []
    # The termination matrix: {main, thread} x {exit, trap} x {busy, wait,
    # poll, open}; "open" blocks in path_open of FIFOs nobody opens.
    for who in ("main", "thread"):
        for how in ("exit", "trap"):
            for others in ("busy", "wait", "poll", "open"):
                out.append(Case(
                    "term", (who, how, others),
                    status=EXIT_CODE if how == "exit" else TRAP,
                    stdout=re.escape(f"term {who} {how} {others}: ending\n"),
                    stderr=r"weft: trap: unreachable" if how == "trap" else None,
                    limit=1.0, fifos=("r.fifo", "w.fifo") if others == "open" else ()))
    out += [
        Case("parallel_sum", ("4",), stdout=r"sum of \d+ elements over 4 threads: ok\n"),
        Case("parallel_sum", ("1",), stdout=r"sum of \d+ elements over 1 threads: ok\n"),
        Case("mutex_counter", stdout=r"counter 100000 \(expected 100000, per-thread sum 100000\)\n"),
        Case("prodcons", stdout=r"consumed 60000 items: ok\n"),
        Case("narrow_cas", stdout=r"own: 0 failed compare-exchanges; shared8 152 \(expected 152\), "
                                  r"shared16 15000 \(expected 15000\)\n"),
        Case("narrow_cas", stdout=r"own: 0 failed compare-exchanges; shared8 152 \(expected 152\), "
                                  r"shared16 15000 \(expected 15000\)\n",
             options=("--bounds-checks=software",)),
        Case("barrier", stdout=r"200 phases, 5 threads: ok\n"),
        Case("tls", stdout=r"thread-local storage in 6 threads: ok\n"),
        Case("many_threads", stdout=r"1000 threads in batches of 25: ok\n"),
        Case("grow", stdout=r"96 concurrent grows: ok\n"),
        Case("thread_fault", ("oob",), status=TRAP, stdout=r"thread_fault oob\n",
             stderr=r"weft: trap: out of bounds memory access"),
        Case("thread_fault", ("oob",), status=TRAP, stdout=r"thread_fault oob\n",
             stderr=r"weft: trap: out of bounds memory access",
             options=("--bounds-checks=software",)),
        Case("grow", stdout=r"96 concurrent grows: ok\n", options=("--bounds-checks=software",)),
        Case("simd_threads", ("4",), stdout=r"simd over 4 threads: ok\n"),
        Case("simd_threads", ("3",), stdout=r"simd over 3 threads: ok\n",
             options=("--bounds-checks=software",)),
        Case("simd_threads", ("oob",), status=TRAP, stdout=r"simd_threads oob\n",
             stderr=r"weft: trap: out of bounds memory access"),
        Case("simd_threads", ("oob",), status=TRAP, stdout=r"simd_threads oob\n",
             stderr=r"weft: trap: out of bounds memory access",
             options=("--bounds-checks=software",)),
        Case("thread_fault", ("unreachable",), status=TRAP, stdout=r"thread_fault unreachable\n",
             stderr=r"weft: trap: unreachable"),
        Case("thread_fault", ("stack",), status=TRAP, stdout=r"thread_fault stack\n",
             stderr=r"weft: trap: call stack exhausted"),
        Case("fifo_open", fifos=("a.fifo", "b.fifo"), sockets=("s.sock",), limit=10.0,
             stdout=r"fifo rendezvous: ok\n"),
        Case("files", ("/data",), tmpdir=True, options=("--env", "WEFT_GUEST=threads"),
             stdout=r"4 threads wrote 200 records each: ok; WEFT_GUEST=threads\n"),
        # The same C natively (pthreads, SSE2) must print the same hash.
        Case("simd_filter", ("4",), stdout=r"simd_filter .*\npixels .*\n", native=True),
        Case("simd_filter", ("3",), stdout=r"simd_filter .*\npixels .*\n", native=True,
             options=("--bounds-checks=software",)),
        Case("spawn_limit", ("3",), options=("--max-threads", "3"),
             stdout=r"limit 3: extra spawn refused \(-\d+\), later spawn ok\n"),
        # Threads until the address space runs out (`ulimit -v`): thread-spawn
        # must refuse with a negative value and the program go on.
        Case("spawn_many", ("100000",), options=("--bounds-checks=software",),
             rlimit_as=300 << 20, stdout=REFUSED),
        Case("spawn_many", ("100000",), options=("--max-threads", "100000"),
             rlimit_as=(8 << 30) + (300 << 20), stdout=REFUSED),
        # Thousands alive at once: ~2,000 until 20 GiB of address space is
        # spent past the memory's 8 GiB, then 3,000 with no limit.
        Case("spawn_many", ("100000",), options=("--max-threads", "100000"),
             rlimit_as=28 << 30, stdout=REFUSED),
        Case("spawn_many", ("3000",), options=("--max-threads", "3000"),
             stdout=r"3000 threads alive; joined; later spawn ok\n"),
        Case("primes_threads", ("1000000", "4"), examples=True,
             stdout=r"primes below 1000000: 78498\n1 thread: +[0-9.]+ s\n"
                    r"4 threads: [0-9.]+ s \(speed-up [0-9.]+x\)\n"),
    ]
    # examples/grow_stress.c: 2 threads x 1000 grows beside 2 edge threads, in
    # both bounds modes, then with failures injected.  malloc never grows its
    # memory, so the 2000 grows are all there are and the injection's count is
    # exact: every:4 fails 500, after:150 fails 1850, random:0.25,7 as many as
    # splitmix64 from seed 7 says; the checks must hold all the same.
    def grow_stress(ok, pages, failed):
        return (r"grow_stress round 1: 2 growers x 1000 grows beside 2 edge threads: "
                rf"{ok} ok \({pages} pages\), {failed} failed; checks ok; \d+ grows/s\n")
    for options in ((), ("--bounds-checks=software",)):
        out.append(Case("grow_stress", ("1000",), examples=True, options=options,
                        stdout=grow_stress(2000, 2500, 0)))
    random_failed = splitmix64_failures(seed=7, probability=0.25, draws=2000)
    out += [
        Case("grow_stress", ("1000",), examples=True, options=("--grow-fail=every:4",),
             stdout=grow_stress(1500, r"\d+", 500)),
        Case("grow_stress", ("1000",), examples=True,
             options=("--bounds-checks=software", "--grow-fail=after:150"),
             stdout=grow_stress(150, r"\d+", 1850)),
        Case("grow_stress", ("1000",), examples=True, options=("--grow-fail=random:0.25,7",),
             stdout=grow_stress(2000 - random_failed, r"\d+", random_failed)),
    ]
    return out


def splitmix64_failures(seed, probability, draws):
    """How many of the first `draws` grows --grow-fail=random:P,SEED fails
    (include/weft.h: splitmix64 from SEED, one draw per grow, failing when its
    top 53 bits are below P * 2^53)."""
    mask, state, failed = (1 << 64) - 1, seed, 0
    for _ in range(draws):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        failed += (z >> 11) < probability * 2 ** 53
    return failed


def native_stdout(args, case):
    """The stdout of the native build of the case's program (same arguments)."""
    if not args.native_dir:
        return "(no --native-dir: the native build is missing)"
    exe = os.path.join(args.native_dir, f"{case.program}_native")
    p = subprocess.run([exe, *case.args], capture_output=True, timeout=args.timeout)
    if p.returncode != 0:
        return f"(native exit status {p.returncode})"
    return p.stdout.decode(errors="replace")


def run(args, case, shape):
    folder = args.examples_dir if case.examples else args.wasm_dir
    wasm = os.path.join(folder, f"{case.program}.{shape}.wasm")
    options = list(case.options)
    tmp = tempfile.mkdtemp(prefix="weft-guest-") if case.tmpdir else None
    if tmp:
        options += ["--dir", f"{tmp}::/data"]
        for name in case.fifos:
            os.mkfifo(os.path.join(tmp, name))
        for name in case.sockets:
            with socket.socket(socket.AF_UNIX) as s:
                s.bind(os.path.join(tmp, name))  # the file outlives the socket
    cmd = [args.weft, "run", *options, wasm, *case.args]
    shown = " ".join(cmd)
    start = time.monotonic()
    limit = None
    if case.rlimit_as is not None:
        shown = f"(ulimit -v {case.rlimit_as >> 10}) {shown}"
        limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (case.rlimit_as, case.rlimit_as))
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=args.timeout, preexec_fn=limit)
        status, stdout, stderr = p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        status, stdout, stderr = None, (e.stdout or b"").decode(errors="replace"), \
            (e.stderr or b"").decode(errors="replace")
    elapsed = time.monotonic() - start
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    problems = []
    if status is None:
        problems.append(f"did not end within {args.timeout} s")
    elif status != case.status:
        problems.append(f"exit status {status}, expected {case.status}")
    if case.stdout is not None and not re.fullmatch(case.stdout, stdout):
        problems.append(f"stdout {stdout!r} does not match {case.stdout!r}")
    if case.stderr is not None and not re.search(case.stderr, stderr):
        problems.append(f"stderr does not contain {case.stderr!r}")
    if case.limit is not None and elapsed > case.limit:
        problems.append(f"took {elapsed:.3f} s, limit {case.limit} s")
    if case.native and status == case.status:
        want = native_stdout(args, case)
        if stdout != want:
            problems.append(f"stdout {stdout!r} differs from the native build's {want!r}")
    verdict = "ok  " if not problems else "FAIL"
    print(f"{verdict} {elapsed:7.3f} s  status {status}  {shown}")
    if args.verbose and stdout:
        print("     stdout: " + stdout.rstrip().replace("\n", "\n             "))
    for problem in problems:
        print(f"     {problem}")
    if problems and stderr:
        print("     stderr: " + stderr.rstrip()[-2000:].replace("\n", "\n             "))
    return not problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weft", required=True)
    ap.add_argument("--wasm-dir", required=True)
    ap.add_argument("--examples-dir", required=True)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--native-dir", help="where the native builds (NAME_native) of the "
                                         "cases compared with native are")
    ap.add_argument("--shape", choices=("imported", "defined"), action="append")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--sanitized", action="store_true",
                    help="weft is built with a sanitizer: skip the cases that limit its "
                         "address space (ASan and TSan reserve terabytes up front)")
    ap.add_argument("programs", nargs="*")
    args = ap.parse_args()
    shapes = args.shape or ["imported", "defined"]
    selected = [c for c in cases() if (not args.programs or c.program in args.programs)
                and not (args.sanitized and c.rlimit_as is not None)]
    if not selected:
        print(f"no case for {args.programs}")
        return 1
    failures = 0
    for case in selected:
        for shape in shapes:
            failures += not run(args, case, shape)
    total = len(selected) * len(shapes)
    print(f"{total - failures}/{total} runs passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
