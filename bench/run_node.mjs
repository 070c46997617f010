// run_node.mjs -- the Node.js (V8) runner: instantiates a kernel with
// WebAssembly.instantiate, calls its run() `warmup` times untimed (V8 compiles
// with its baseline tier first and optimises hot code later, so the first call
// is not representative of its steady state), then `repeat` times timed with
// performance.now().  Prints the same lines as native_main.c:
//
//     checksum <u64 decimal>
//     ms <milliseconds of one call>
//
// usage: node run_node.mjs KERNEL.wasm [warmup [repeat]]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [file, warmupArg, repeatArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node run_node.mjs KERNEL.wasm [warmup [repeat]]');
  process.exit(2);
}
const warmup = warmupArg === undefined ? 1 : Number(warmupArg);
const repeat = repeatArg === undefined ? 3 : Number(repeatArg);

const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const run = instance.exports.run;

let first;
for (let i = 0; i < warmup + repeat; i++) {
  const t0 = performance.now();
  const result = run();
  const t1 = performance.now();
  // run() returns an i64, which JavaScript receives as a signed BigInt.
  const sum = BigInt.asUintN(64, BigInt(result));
  if (first === undefined) {
    first = sum;
    console.log(`checksum ${sum}`);
  } else if (sum !== first) {
    console.error(`node: run() returned ${first} then ${sum}`);
    process.exit(1);
  }
  if (i >= warmup) console.log(`ms ${(t1 - t0).toFixed(3)}`);
}
