// fuzz_exec.mjs MODULE.wasm... -- the Node.js (V8) side of fuzz_diff.sh:
// runs a module made by binaryen's `wasm-opt -ttf` the way binaryen's
// --fuzz-exec does and prints the outcome in exactly the format of
// fuzz_exec.c (see its header): one instance, every exported function in
// export order, called with zeros after `hangLimitInitializer`, the log-*
// imports printing their argument.  With one module the output goes to
// stdout; with several (one Node start for a whole run), each module's goes
// to MODULE.node beside it.  Exit status 0 when every module ran or was
// invalid, 2 when the harness could not run one (its output then ends in an
// `error` line).
import { readFileSync, writeFileSync } from "node:fs";

const paths = process.argv.slice(2);
if (paths.length === 0) {
    console.error("usage: node fuzz_exec.mjs MODULE.wasm...");
    process.exit(2);
}
let out = [];
const print = (line) => out.push(line);

// The JS API has no type reflection: read the function types of the exports
// from the binary (only modules V8 validated get here, and every value type
// of their feature set is one byte).
function exportTypes(b) {
    let p = 8;
    const u32 = () => {
        let r = 0, shift = 0, c;
        do {
            c = b[p++];
            r += (c & 0x7f) * 2 ** shift;
            shift += 7;
        } while (c & 0x80);
        return r;
    };
    const name = () => {
        const n = u32();
        p += n;
        return b.toString("utf8", p - n, p);
    };
    const vec = (f) => Array.from({ length: u32() }, f);
    const limits = () => {
        const flags = b[p++];
        u32();
        if (flags & 1) u32();
    };
    const types = [], funcs = [], exports = new Map();
    while (p < b.length) {
        const id = b[p++], size = u32(), end = p + size;
        if (id === 1) {
            vec(() => {
                p++; // 0x60
                const params = vec(() => b[p++]);
                types.push({ params, results: vec(() => b[p++]) });
            });
        } else if (id === 2) {
            vec(() => {
                name();
                name();
                const kind = b[p++];
                if (kind === 0) funcs.push(u32());
                else if (kind === 1) p++, limits();
                else if (kind === 2) limits();
                else p += 2;
            });
        } else if (id === 3) {
            vec(() => funcs.push(u32()));
        } else if (id === 7) {
            vec(() => {
                const n = name(), kind = b[p++], index = u32();
                if (kind === 0) exports.set(n, types[funcs[index]]);
            });
        }
        p = end;
    }
    return exports;
}

const f32 = new Float32Array(1), u32view = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64view = new BigUint64Array(f64.buffer);
function show(type, v) {
    switch (type) {
    case 0x7f: return `i32:${v | 0}`;
    case 0x7e: return `i64:${BigInt.asIntN(64, v)}`;
    case 0x7d:
        if (Number.isNaN(v)) return "f32:nan";
        f32[0] = v;
        return `f32:0x${u32view[0].toString(16).padStart(8, "0")}`;
    case 0x7c:
        if (Number.isNaN(v)) return "f64:nan";
        f64[0] = v;
        return `f64:0x${u64view[0].toString(16).padStart(16, "0")}`;
    case 0x70: return `funcref:${v === null ? "null" : "func"}`;
    case 0x6f: return `externref:${v === null ? "null" : "ref"}`;
    default: throw new Error(`value type 0x${type.toString(16)}`);
    }
}
const zero = (type) => (type === 0x7e ? 0n : type === 0x70 || type === 0x6f ? null : 0);

// V8's trap messages, in the classes of fuzz_exec.c (see trap_category there).
const categories = [
    [/^unreachable$/, "unreachable"],
    [/^(divide|remainder) by zero$/, "div-zero"],
    [/^divide result unrepresentable$/, "overflow"],
    [/^float unrepresentable in integer range$/, "overflow"],
    [/^(memory access|data segment) out of bounds$/, "memory"],
    [/^operation does not support unaligned accesses$/, "memory"],
    [/^(table index is|element segment) out of bounds$/, "table"],
    [/^null function or function signature mismatch$/, "indirect"],
    [/^dereferencing a null pointer$/, "null"],
];
function trap(e, prefix) {
    if (e instanceof RangeError && /call stack size/.test(e.message)) {
        print(`${prefix}trap stack`);
        return;
    }
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    const c = categories.find(([re]) => re.test(e.message));
    if (!c) throw new Error(`unknown trap message: ${e.message}`);
    print(`${prefix}trap ${c[1]}`);
}

function run(bytes) {
    let module;
    try {
        module = new WebAssembly.Module(bytes);
    } catch (e) {
        if (!(e instanceof WebAssembly.CompileError)) throw e;
        print("invalid");
        return;
    }
    const logs = { "log-i32": 0x7f, "log-i64": 0x7e, "log-f32": 0x7d, "log-f64": 0x7c };
    const support = {};
    for (const imp of WebAssembly.Module.imports(module)) {
        const type = logs[imp.name];
        if (imp.module !== "fuzzing-support" || imp.kind !== "function" || !type)
            throw new Error(`unsupported import ${imp.module} ${imp.name}`);
        support[imp.name] = (v) => print(`log ${show(type, v)}`);
    }
    let instance;
    try {
        instance = new WebAssembly.Instance(module, { "fuzzing-support": support });
    } catch (e) {
        trap(e, "instantiate ");
        return;
    }
    const types = exportTypes(bytes);
    const hangInit = types.has("hangLimitInitializer") ? instance.exports.hangLimitInitializer : null;
    for (const [name, type] of types) {
        print(`call ${name}`);
        try {
            if (hangInit) hangInit();
        } catch (e) {
            trap(e, ""); // as --fuzz-exec: the call is skipped
            continue;
        }
        try {
            let r = instance.exports[name](...type.params.map(zero));
            if (type.results.length === 1) r = [r];
            print(["result", ...type.results.map((t, i) => show(t, r[i]))].join(" "));
        } catch (e) {
            trap(e, "");
        }
    }
    // The exported memory after the last call, as fuzz_exec.c hashes it.
    const mem = instance.exports.memory;
    if (mem instanceof WebAssembly.Memory) {
        const b = new Uint8Array(mem.buffer);
        let h = 2166136261;
        for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619) >>> 0;
        print(`memory ${b.length / 65536} 0x${h.toString(16).padStart(8, "0")}`);
    }
}

let status = 0;
for (const path of paths) {
    out = [];
    try {
        run(readFileSync(path));
    } catch (e) {
        print(`error ${e.message}`);
        console.error(`fuzz_exec.mjs: ${path}: ${e.message}`);
        status = 2;
    }
    const text = out.map((l) => l + "\n").join("");
    if (paths.length === 1) process.stdout.write(text);
    else writeFileSync(path.replace(/\.wasm$/, "") + ".node", text);
}
process.exitCode = status;
