// seed_bytes.mjs DIR SIZE SEED... -- writes DIR/SEED.bin, SIZE pseudo-random
// bytes for each SEED (splitmix64), the input binaryen's `wasm-opt -ttf`
// turns into a module: the same seed gives the same bytes, and so the same
// module, on every machine.
import { writeFileSync } from "node:fs";

const [dir, size, ...seeds] = process.argv.slice(2);
if (!dir || !size || seeds.length === 0) {
    console.error("usage: node seed_bytes.mjs DIR SIZE SEED...");
    process.exit(2);
}
const M = (1n << 64n) - 1n;
for (const seed of seeds) {
    let s = BigInt(seed) & M;
    const buf = Buffer.alloc(Number(size));
    for (let i = 0; i < buf.length; i += 8) {
        s = (s + 0x9e3779b97f4a7c15n) & M;
        let z = s;
        z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
        z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
        z ^= z >> 31n;
        for (let j = 0; j < 8 && i + j < buf.length; j++) buf[i + j] = Number((z >> BigInt(8 * j)) & 0xffn);
    }
    writeFileSync(`${dir}/${seed}.bin`, buf);
}
