/**
 * The plain and the relaxed-SIMD builds of the WebAssembly core side by side (bench/bench_fma.ts in
 * Node, bench/browser_bench_fma.ts in Chromium): convTranspose3d forward on S1–S7 (bench/shapes.ts),
 * one thread, one instance of each build called through the same wrapper the cpu kernel uses
 * (copies in and out included), calls interleaved (plain, relaxed, plain, …) so that load changes
 * hit both alike. Median ms, GFLOP/s, plain/relaxed, and max |relaxed − plain| / max |plain|
 * (fused rounding differs in the last bits).
 */
import {CORE_RELAXED_WASM_BASE64} from '../kernels/simd/core_relaxed_wasm.js';
import {CORE_WASM_BASE64} from '../kernels/simd/core_wasm.js';
import {base64Bytes, type CoreExports, wasmConvTranspose3dForward} from '../kernels/simd/simd_core.js';
import {convTranspose3dInfo} from '../src/geometry.js';
import {flops, SHAPES, timeInterleaved, weightShape} from './shapes.js';

/** Both builds, instantiated asynchronously (browsers refuse large synchronous compiles). */
export async function instantiateBuilds(): Promise<{plain: CoreExports, relaxed: CoreExports}> {
  const load = async (b64: string) =>
      (await WebAssembly.instantiate(base64Bytes(b64), {env: {}})).instance.exports as unknown as
      CoreExports;
  return {plain: await load(CORE_WASM_BASE64), relaxed: await load(CORE_RELAXED_WASM_BASE64)};
}

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

export interface FmaRow {shape: string; plain: number; relaxed: number; diff: number}

/** Times every shape (or those named in `only`); `log` gets each row as it is measured. */
export async function benchFma(only: string[] = [], log: (line: string) => void = () => {}):
    Promise<FmaRow[]> {
  const {plain, relaxed} = await instantiateBuilds();
  const rows: FmaRow[] = [];
  for (const s of SHAPES.filter(k => only.length === 0 || only.includes(k.name))) {
    const ws = weightShape(s);
    const info = convTranspose3dInfo('benchFma', s.input, ws, [s.outChannels], s.options);
    const n = (a: number[]) => a.reduce((p, q) => p * q, 1);
    const x = rand(n(s.input), 1), w = rand(n(ws), 2), b = rand(s.outChannels, 3);
    // Random inputs are finite: the wrapper returns null only for non-finite ones.
    const run = (c: CoreExports) => wasmConvTranspose3dForward(c, x, w, b, info)!;
    const yp = run(plain), yr = run(relaxed);
    let err = 0, scale = 0;
    for (let i = 0; i < yp.length; i++) {
      err = Math.max(err, Math.abs(yr[i] - yp[i]));
      scale = Math.max(scale, Math.abs(yp[i]));
    }
    const [tp, tr] = await timeInterleaved([() => run(plain), () => run(relaxed)],
                                           {warmup: 3, reps: 25, budgetMs: 6000});
    rows.push({shape: s.name, plain: tp, relaxed: tr, diff: err / (scale || 1)});
    log(formatRow(rows[rows.length - 1]));
  }
  return rows;
}

const gf = (name: string, ms: number) =>
    (flops(SHAPES.find(s => s.name === name)!) / ms / 1e6).toFixed(1);

function formatRow(r: FmaRow): string {
  return `${r.shape}: plain ${r.plain.toFixed(2)} ms (${gf(r.shape, r.plain)} GFLOP/s), relaxed ${
      r.relaxed.toFixed(2)} ms (${gf(r.shape, r.relaxed)} GFLOP/s), ${
      (r.plain / r.relaxed).toFixed(2)}×`;
}

/** The rows as a markdown table. */
export function fmaTable(rows: FmaRow[]): string {
  const head = ['shape', 'plain ms (GFLOP/s)', 'relaxed ms (GFLOP/s)', 'plain/relaxed',
                'rel. diff (max abs / max)'];
  const cells = rows.map(r => [
    r.shape, `${r.plain.toFixed(2)} (${gf(r.shape, r.plain)})`,
    `${r.relaxed.toFixed(2)} (${gf(r.shape, r.relaxed)})`, `${(r.plain / r.relaxed).toFixed(2)}×`,
    r.diff.toExponential(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map(c => c[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), '|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|', ...cells.map(line)]
      .join('\n');
}
