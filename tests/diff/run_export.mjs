// run_export.mjs MODULE.wasm NAME -- the reference side of diff_test.sh:
// instantiates MODULE (no imports) in Node.js, calls the export NAME with no
// arguments and prints its result as `weft run --invoke` does (KIND:VALUE,
// integers in signed decimal), so the two outputs compare as strings.
import { readFileSync } from "node:fs";

const [path, name] = process.argv.slice(2);
if (!path || !name) {
    console.error("usage: node run_export.mjs MODULE.wasm NAME");
    process.exit(2);
}
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), {});
const result = instance.exports[name]();
if (typeof result === "bigint")
    console.log(`i64:${BigInt.asIntN(64, result)}`);
else if (result !== undefined)
    console.log(`i32:${result | 0}`);
