/**
 * `node --import tsx bench/profile_core.ts [S2 S6 …]`: times the three compute-core calls alone
 * (wasm core, copies in/out included, no tfjs) on the bench shapes, beside the forward's GFLOP/s.
 * For locating where time goes; `npm run bench` is the comparison against peers.
 */
import {computeConv3d, computeConvTranspose3d, computeWeightGrad} from '../kernels/cpu/dispatch.js';
import {convTranspose3dInfo} from '../src/geometry.js';
import {flops, medianSync, randomFloats, SHAPES, weightShape} from './shapes.js';

const rand = randomFloats;
const median = (fn: () => unknown) => medianSync(fn, 15, 2);

const only = process.argv.slice(2);
for (const s of SHAPES.filter(k => !only.length || only.includes(k.name))) {
  const ws = weightShape(s);
  const info = convTranspose3dInfo('bench', s.input, ws, [s.outChannels], s.options);
  const n = (a: number[]) => a.reduce((p, q) => p * q, 1);
  const x = rand(n(s.input)), w = rand(n(ws)), b = rand(s.outChannels), dy = rand(n(info.outShape));
  const f = median(() => computeConvTranspose3d(x, w, b, info));
  const c = median(() => computeConv3d(dy, w, null, info));
  const g = median(() => computeWeightGrad(x, dy, info));
  const copy = median(() => new Float32Array(n(info.outShape)).set(dy));
  console.log(`${s.name}: fwd ${f.toFixed(2)} ms (${(flops(s) / f / 1e6).toFixed(2)} GF/s)  ` +
              `conv3d ${c.toFixed(2)}  wgrad ${g.toFixed(2)}  (fwd+2 bwd)/fwd ${((f + c + g) / f).toFixed(2)}` +
              `  [alloc+copy of output ${copy.toFixed(2)}]`);
}
