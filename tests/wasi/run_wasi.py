#!/usr/bin/env python3
"""run_wasi.py -- runs WASI test cases with `weft run`, by the rules of
wasi-testsuite's doc/specification.md.

    run_wasi.py --weft WEFT [--shared DIR] [--timeout S] SUITE...

Each SUITE is a folder of X.wasm cases with optional X.json specifications
(legacy: args, env, dirs, exit_code, stdout, stderr; or operation-based:
run / wait / read).  A relative SUITE is taken inside the wasi-testsuite
folder (DIR/wasi-testsuite, DIR defaulting to $WEFT_SHARED or
../shared next to the repository).  Each suite is copied to a fresh temp
folder first (tests write into their directories), its *.cleanup artifacts
are removed, and every case runs there with its preopened dirs mapped under
the same names, an environment holding only its `env`, and a stdin that
stays open (a read blocks, as on a terminal).  Prints PASS/FAIL per case
and a summary; exits 1 if any case failed or a suite is missing.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_shared():
    return os.environ.get("WEFT_SHARED") or os.path.join(os.path.dirname(REPO), "shared")


def load_spec(wasm):
    """The case's operations: [("run", args, env, dirs), ("wait", code),
    ("read", stream, payload)...]; raises ValueError for what we cannot run."""
    path = wasm[: -len(".wasm")] + ".json"
    spec = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
    if "operations" not in spec:
        # Legacy form: one run, its output, then the exit code.
        ops = [{"type": "run", "args": spec.get("args", []), "env": spec.get("env", {}),
                "dirs": spec.get("dirs", [])}]
        for stream in ("stdout", "stderr"):
            if stream in spec:
                ops.append({"type": "read", "id": stream, "payload": spec[stream]})
        ops.append({"type": "wait", "exit_code": spec.get("exit_code", 0)})
        return ops
    for p in spec.get("proposals", []):
        raise ValueError("needs the %s proposal, which weft does not implement" % p)
    ops = spec["operations"]
    for op in ops:
        if op.get("type") not in ("run", "wait", "read"):
            raise ValueError("operation %s is not supported" % op.get("type"))
    return ops


def run_case(weft, folder, wasm, timeout):
    """Runs one case in `folder`; returns None on success, else the reason."""
    try:
        ops = load_spec(wasm)
    except (ValueError, json.JSONDecodeError) as e:
        return "bad or unsupported specification: %s" % e
    proc = None
    out = err = None
    reads = {"stdout": 0, "stderr": 0}
    outputs = {}
    tmp = tempfile.TemporaryDirectory()
    try:
        for op in ops:
            kind = op["type"]
            if kind == "run":
                cmd = [weft, "run"]
                for d in op.get("dirs", []):
                    cmd += ["--dir", "%s::%s" % (d, d)]
                for k, v in op.get("env", {}).items():
                    cmd += ["--env", "%s=%s" % (k, v)]
                cmd += ["--", os.path.basename(wasm)] + list(op.get("args", []))
                out = open(os.path.join(tmp.name, "out"), "w+b")
                err = open(os.path.join(tmp.name, "err"), "w+b")
                proc = subprocess.Popen(cmd, cwd=folder, stdin=subprocess.PIPE, stdout=out,
                                        stderr=err, env={})
            elif kind == "wait":
                if proc is None:
                    return "wait before run"
                try:
                    rc = proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    return "timed out after %ss" % timeout
                finally:
                    proc.stdin.close()
                for name, f in (("stdout", out), ("stderr", err)):
                    f.seek(0)
                    outputs[name] = f.read().decode("utf-8", "replace")
                want = op.get("exit_code", 0)
                if rc != want:
                    return "exit status %d, expected %d; stderr: %s" % (
                        rc, want, outputs["stderr"].strip()[:300])
            # "read" operations are checked in order once the run has ended.
        for op in ops:
            if op["type"] != "read":
                continue
            stream = op.get("id", "stdout")
            payload = op.get("payload", "")
            text = outputs.get(stream, "")
            at = reads[stream]
            got = text[at: at + len(payload)]
            if got != payload:
                return "%s was %r, expected %r" % (stream, text[at:][:200], payload)
            reads[stream] = at + len(payload)
        for stream in ("stdout", "stderr"):
            checked = any(op["type"] == "read" and op.get("id", "stdout") == stream for op in ops)
            if checked and reads[stream] != len(outputs.get(stream, "")):
                return "%s has more than expected: %r" % (stream, outputs[stream][reads[stream]:][:200])
        return None
    finally:
        for f in (out, err):
            if f:
                f.close()
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        tmp.cleanup()


def run_suite(weft, src, timeout, label):
    work = tempfile.mkdtemp(prefix="weft-wasi-")
    try:
        folder = os.path.join(work, os.path.basename(os.path.normpath(src)))
        shutil.copytree(src, folder, symlinks=True)
        for junk in glob.glob(os.path.join(folder, "**", "*.cleanup"), recursive=True):
            if os.path.isdir(junk) and not os.path.islink(junk):
                shutil.rmtree(junk)
            else:
                os.remove(junk)
        cases = sorted(glob.glob(os.path.join(folder, "*.wasm")))
        passed = 0
        for wasm in cases:
            name = os.path.basename(wasm)[: -len(".wasm")]
            why = run_case(weft, folder, wasm, timeout)
            if why is None:
                passed += 1
                print("PASS %s/%s" % (label, name))
            else:
                print("FAIL %s/%s: %s" % (label, name, why))
            sys.stdout.flush()
        print("%s: %d of %d passed" % (label, passed, len(cases)))
        return passed, len(cases)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weft", required=True, help="the weft command")
    ap.add_argument("--shared", default=default_shared(),
                    help="folder holding wasi-testsuite/ (default: $WEFT_SHARED or ../shared)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per case")
    ap.add_argument("suites", nargs="+")
    a = ap.parse_args()
    weft = os.path.abspath(a.weft)
    total = passed = 0
    ok = True
    for s in a.suites:
        src = s if os.path.isabs(s) else os.path.join(a.shared, "wasi-testsuite", s)
        if not os.path.isdir(src):
            print("FAIL %s: no such folder %s.  The WASI testsuite is the prebuilt branch "
                  "prod/testsuite-all of https://github.com/WebAssembly/wasi-testsuite; put it "
                  "at %s (or point WEFT_SHARED / --shared at the folder holding "
                  "wasi-testsuite/)." % (s, src, os.path.join(a.shared, "wasi-testsuite")))
            ok = False
            continue
        p, n = run_suite(weft, src, a.timeout, s)
        passed += p
        total += n
        ok = ok and p == n and n > 0
    print("total: %d of %d passed" % (passed, total))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
