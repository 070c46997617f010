// run_node.mjs -- the startup benchmark in Node.js, for comparison with
// startup_main.c: per round, the synchronous WebAssembly.Module compile (V8
// compiles lazily by default, on first call, and defers most of the work on
// function bodies), the instantiation, the first call of `small` and of
// `run`; and, apart, WebAssembly.validate, which checks every body at once as
// weft_module_new does ("validate").  Prints the best round's times as "name
// seconds" lines, like startup_main.c, and the checksum.
//
// usage: node run_node.mjs MODULE.wasm [repeat]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const [path, repeatArg] = process.argv.slice(2);
if (!path) {
    console.error("usage: node run_node.mjs MODULE.wasm [repeat]");
    process.exit(2);
}
const repeat = Math.max(1, Number(repeatArg ?? 3) | 0);
const bytes = readFileSync(path);
const now = () => performance.now() / 1e3;

const best = { validate: Infinity, module_new: Infinity, instance_new: Infinity, first_small: Infinity, first_run: Infinity };
let checksum = null;
for (let r = 0; r < repeat; r++) {
    const v0 = now();
    if (!WebAssembly.validate(bytes)) {
        console.error("startup: node: WebAssembly.validate rejects the module");
        process.exit(1);
    }
    const validate = now() - v0;
    const t0 = now();
    const module = new WebAssembly.Module(bytes);
    const t1 = now();
    const instance = new WebAssembly.Instance(module, {});
    const t2 = now();
    instance.exports.small();
    const t3 = now();
    const sum = BigInt.asUintN(64, instance.exports.run());
    const t4 = now();
    if (checksum !== null && sum !== checksum) {
        console.error(`startup: node: run returned ${checksum} then ${sum}`);
        process.exit(1);
    }
    checksum = sum;
    const t = { validate, module_new: t1 - t0, instance_new: t2 - t1, first_small: t3 - t2, first_run: t4 - t3 };
    for (const k of Object.keys(best))
        best[k] = Math.min(best[k], t[k]);
}
for (const [k, v] of Object.entries(best))
    console.log(`${k} ${v.toFixed(4)}`);
console.log(`checksum ${checksum}`);
