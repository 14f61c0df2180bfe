/**
 * A/B of two builds of the wasm core in one process, calls interleaved so machine load hits both
 * alike: `node --import tsx bench/ab_core.ts OLD_core_wasm.ts [S2 …]` against the current
 * kernels/simd/core_wasm.ts. Prints per shape and kernel the median ms of each and the ratio.
 */
import {pathToFileURL} from 'node:url';
import {resolve} from 'node:path';
import {wasmConv3dForward, wasmConvTranspose3dForward, wasmConvTranspose3dWeightGrad} from '../kernels/simd/simd_core.js';
import {CORE_WASM_BASE64} from '../kernels/simd/core_wasm.js';
import {convTranspose3dInfo} from '../src/geometry.js';
import {flops, SHAPES, weightShape} from './shapes.js';

function instantiate(b64: string) {
  const bytes = Buffer.from(b64, 'base64');
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {env: {}}).exports as any;
}
const old = await import(pathToFileURL(resolve(process.argv[2])).href);
const A = instantiate(old.CORE_WASM_BASE64), B = instantiate(CORE_WASM_BASE64);

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}
const med = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1];
const only = process.argv.slice(3);
for (const s of SHAPES.filter(k => !only.length || only.includes(k.name))) {
  const ws = weightShape(s);
  const info = convTranspose3dInfo('bench', s.input, ws, [s.outChannels], s.options);
  const n = (a: number[]) => a.reduce((p, q) => p * q, 1);
  const x = rand(n(s.input)), w = rand(n(ws)), b = rand(s.outChannels), dy = rand(n(info.outShape));
  // Random inputs are finite: the wrappers return null only for non-finite ones.
  const kernels: Array<[string, (c: any) => Float32Array]> = [
    ['fwd', c => wasmConvTranspose3dForward(c, x, w, b, info)!],
    ['conv3d', c => wasmConv3dForward(c, dy, w, null, info)!],
    ['wgrad', c => wasmConvTranspose3dWeightGrad(c, x, dy, info)!],
  ];
  const out: string[] = [];
  for (const [name, k] of kernels) {
    const ra = k(A), rb = k(B);
    let err = 0, scale = 0;
    for (let i = 0; i < ra.length; i++) {
      err = Math.max(err, Math.abs(ra[i] - rb[i]));
      scale = Math.max(scale, Math.abs(ra[i]));
    }
    const ta: number[] = [], tb: number[] = [];
    for (let r = 0; r < 15; r++) {
      let t0 = performance.now(); k(A); ta.push(performance.now() - t0);
      t0 = performance.now(); k(B); tb.push(performance.now() - t0);
    }
    const ma = med(ta), mb = med(tb);
    const gf = name === 'fwd' ? ` ${(flops(s) / mb / 1e6).toFixed(1)}GF/s` : '';
    out.push(`${name} ${ma.toFixed(2)}→${mb.toFixed(2)} (${(ma / mb).toFixed(2)}×${gf}${
        err > 1e-4 * scale ? ' DIFFERS ' + (err / scale).toExponential(1) : ''})`);
  }
  console.log(`${s.name}: ${out.join('  ')}`);
}
