/**
 * The cpu pooling kernels' fast paths (row sweeps, tiled windows) against their readable gather
 * loops on random geometries, including ties (±0 among them), NaN and all-padding windows.
 */
import {avgPoolBackward, avgPoolBackwardReference, avgPoolForward, avgPoolReference, maxPoolForward, maxPoolReference} from '../kernels/cpu/pooling.js';
import {poolInfo} from '../src/pooling.js';
import {setCpuImplementation} from '../src/index.js';
import {poolWasm} from '../kernels/simd/pool_simd.js';
import {wasmSimdSupported} from '../kernels/simd/simd_core.js';

/** Runs `check` on the JS loops, then on the WebAssembly SIMD ones where they load. */
function onEachImplementation(check: (impl: string) => void) {
  try {
    setCpuImplementation('js');
    check('js');
    setCpuImplementation('auto');
    if (poolWasm() != null) check('auto');
  } finally {
    setCpuImplementation('auto');
  }
}

function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('the memory-bound SIMD module (pooling, interpolation, pad)', () => {
  it('loads wherever WebAssembly SIMD does (else the JS loops would run unnoticed)', () => {
    expect(poolWasm() != null).toBe(wasmSimdSupported());
  });
});

describe('cpu pooling fast paths match the reference loops', () => {
  const r = rng(7);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (let trial = 0; trial < 116; trial++) {
    // Trials 60+: the unrolled width-2 paths (k2 s2 in 3-D, 2-D, 1-D); 76+ on maps wide enough
    // for the SIMD loops' four-output steps, some larger than one staging chunk (16384 floats);
    // 96+ overlapping windows (the separable passes) on such maps, stride 1 mostly (the SIMD
    // W pass's four-output steps). ±0 ties throughout.
    const sep = trial >= 96, pair = trial >= 60 && !sep, wide = trial >= 76;
    const tiled = pair || (!sep && trial % 3 === 0);
    const k = pair ? [int(1, 2), int(1, 2), 2] : sep ? [int(1, 3), int(2, 3), int(2, 4)] :
        [int(1, 3), int(1, 3), int(1, 3)];
    const s = tiled ? [...k] : sep ? k.map(v => (r() < 0.8 ? 1 : int(1, v))) :
        [int(1, 3), int(1, 3), int(1, 3)];
    const p = tiled ? [0, 0, 0] : k.map(v => int(0, Math.floor(v / 2)));
    const d = tiled ? [1, 1, 1] : sep && r() < 0.6 ? [1, 1, 1] : [int(1, 2), int(1, 2), int(1, 2)];
    const ceilMode = !tiled && r() < 0.5;
    const inSize = wide ? [int(1, 9) + 2 * k[0], int(2, trial % 4 === 0 ? (sep ? 40 : 90) : 20) + 2 * k[1],
                           int(8, 70) + 2 * k[2]] :
        k.map((v, i) => d[i] * (v - 1) + 1 + int(0, 5));
    const shape = [int(1, 2), int(1, wide ? 6 : 3), ...inSize];
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
         const refMax = Array.from(maxPoolReference(x, mi, a2));
         const xf = x.map(v => Number.isNaN(v) ? 0.5 : v);
         const avgInfos = [true, false].map(countIncludePad => poolInfo('avg', 3, shape, k, {
           stride: s, padding: p, ceilMode, countIncludePad,
           divisorOverride: trial % 5 === 0 ? 3 : null}));
         const refAvg = avgInfos.map(ai => avgPoolReference(xf, ai));
         // Without NaN the SIMD passes take their one-pmax rule (kernels/simd/assembly/pool.ts).
         const refMaxF = Array.from(maxPoolReference(xf, mi, new Int32Array(outN)));
         const dys = refAvg.map(ref => Float32Array.from(ref, (_, i) => i % 7 === 3 ? -0 : int(-20, 20) / 8));
         onEachImplementation(impl => {
           expect(Array.from(maxPoolForward(x, mi, a1))).withContext(impl).toEqual(refMax);
           expect(Array.from(a1)).withContext(impl).toEqual(Array.from(a2));
           // Bit for bit (Object.is: ±0 and NaN told apart).
           const fastMax = maxPoolForward(x, mi);
           expect(fastMax.every((v, i) => Object.is(v, refMax[i]))).withContext(impl).toBe(true);
           const fastMaxF = maxPoolForward(xf, mi);
           expect(fastMaxF.every((v, i) => Object.is(v, refMaxF[i]))).withContext(`${impl} no NaN`)
               .toBe(true);
           avgInfos.forEach((ai, j) => {
             const fast = avgPoolForward(xf, ai), ref = refAvg[j];
             // Exactly (a window of ±0s may sum to either zero, as the loops' orders differ).
             expect(fast.every((v, i) => v === ref[i])).withContext(`${impl} avg`).toBe(true);
             expect(Array.from(avgPoolBackward(dys[j], ai)))
                 .toEqual(Array.from(avgPoolBackwardReference(dys[j], ai)));
           });
         });
       });
  }
});
