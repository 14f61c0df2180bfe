/**
 * `npm run bench:fma`: the relaxed-SIMD build of the WebAssembly core against the plain one
 * (bench/fma.ts), forward on S1–S7, one thread, in Node. Node 20 needs
 * --experimental-wasm-relaxed-simd: where this process cannot validate the relaxed build, the
 * bench runs itself again in a child Node with that flag. `npm run bench:fma -- S2 S3` runs a
 * subset. In Chromium: `npm run bench:browser:fma`.
 */
import {spawnSync} from 'node:child_process';
import {availableParallelism, cpus, loadavg} from 'node:os';
import {fileURLToPath} from 'node:url';
import {CORE_RELAXED_WASM_BASE64} from '../kernels/simd/core_relaxed_wasm.js';
import {benchFma, fmaTable} from './fma.js';

const FLAG = '--experimental-wasm-relaxed-simd';
const args = process.argv.slice(2);

if (!WebAssembly.validate(Buffer.from(CORE_RELAXED_WASM_BASE64, 'base64'))) {
  if (process.execArgv.includes(FLAG)) {
    console.error(`bench:fma: this Node cannot run relaxed SIMD even with ${FLAG}`);
    process.exit(1);
  }
  const r = spawnSync(process.execPath, [FLAG, '--import', 'tsx', fileURLToPath(import.meta.url), ...args],
                      {stdio: 'inherit'});
  process.exit(r.status ?? 1);
}

const load = () => loadavg().map(v => v.toFixed(2)).join(' ');
const before = load();
console.log(`Node ${process.version} ${process.execArgv.filter(a => a === FLAG).join(' ')}; ${
    cpus()[0]?.model ?? '?'} (${availableParallelism()} cores). convTranspose3d forward, one ` +
    'thread, median ms (GFLOP/s), calls interleaved.');
const rows = await benchFma(args, line => console.log(line));
console.log(`\n${fmaTable(rows)}\nload average before/after: ${before} / ${load()}`);
