/**
 * The cpu pooling kernels' fast paths (row sweeps, tiled windows) against their readable gather
 * loops on random geometries, including ties (±0 among them), NaN and all-padding windows.
 */
import {avgPoolBackward, avgPoolBackwardReference, avgPoolForward, avgPoolReference, maxPoolForward, maxPoolReference} from '../kernels/cpu/pooling.js';
import {poolInfo} from '../src/pooling.js';

function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('cpu pooling fast paths match the reference loops', () => {
  const r = rng(7);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (let trial = 0; trial < 76; trial++) {
    // Trials 60+: the unrolled width-2 paths (k2 s2 in 3-D, 2-D, 1-D). Overlapping windows
    // (stride < window) take the separable passes. ±0 ties throughout.
    const pair = trial >= 60;
    const tiled = pair || trial % 3 === 0;
    const k = pair ? [int(1, 2), int(1, 2), 2] : [int(1, 3), int(1, 3), int(1, 3)];
    const s = tiled ? [...k] : [int(1, 3), int(1, 3), int(1, 3)];
    const p = tiled ? [0, 0, 0] : k.map(v => int(0, Math.floor(v / 2)));
    const d = tiled ? [1, 1, 1] : [int(1, 2), int(1, 2), int(1, 2)];
    const ceilMode = !tiled && r() < 0.5;
    const inSize = k.map((v, i) => d[i] * (v - 1) + 1 + int(0, 5));
    const shape = [int(1, 2), int(1, 3), ...inSize];
    it(`trial ${trial}: x ${JSON.stringify(shape)} k ${k} s ${s} p ${p} d ${d} ceil ${ceilMode}`,
       () => {
         const n = shape.reduce((a, b) => a * b, 1);
         // Few distinct values (ties) and the odd NaN.
         const x = Float32Array.from({length: n}, () => {
           const u = r();
           return u < 0.02 ? NaN : u < (pair ? 0.3 : 0.12) ? (u < (pair ? 0.15 : 0.07) ? -0 : 0) :
               int(-3, 3);
         });
         const mi = poolInfo('max', 3, shape, k, {stride: s, padding: p, dilation: d, ceilMode});
         const outN = mi.outShape.reduce((a, b) => a * b, 1);
         const [a1, a2] = [new Int32Array(outN), new Int32Array(outN)];
         expect(Array.from(maxPoolForward(x, mi, a1))).toEqual(Array.from(maxPoolReference(x, mi, a2)));
         expect(Array.from(a1)).toEqual(Array.from(a2));
         expect(Array.from(maxPoolForward(x, mi))).toEqual(Array.from(maxPoolReference(x, mi)));
         const xf = x.map(v => Number.isNaN(v) ? 0.5 : v);
         for (const countIncludePad of [true, false]) {
           const ai = poolInfo('avg', 3, shape, k, {stride: s, padding: p, ceilMode, countIncludePad,
                                                   divisorOverride: trial % 5 === 0 ? 3 : null});
           const fast = avgPoolForward(xf, ai), ref = avgPoolReference(xf, ai);
           fast.forEach((v, i) => expect(v).withContext(`avg ${i}`).toBeCloseTo(ref[i], 5));
           const dy = Float32Array.from(fast, (_, i) => i % 7 === 3 ? -0 : int(-20, 20) / 8);
           expect(Array.from(avgPoolBackward(dy, ai))).toEqual(Array.from(avgPoolBackwardReference(dy, ai)));
         }
       });
  }
});
