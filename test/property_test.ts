/**
 * Property tests against the independent float64 reference (test/reference.ts): hundreds of
 * random small configurations per run for the forward, and a finite-difference check of the
 * gradients, neither of which involves PyTorch or our geometry module's output-size formula.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import {convTranspose3d} from '../src/index.js';
import {RefConfig, refConvTranspose3d, refOutSize} from './reference.js';
import {describeWithBackends, expectClose, expectNoLeak} from './util.js';

const axis = fc.tuple(fc.integer({min: 1, max: 3}), fc.integer({min: 1, max: 3}),
                      fc.integer({min: 1, max: 3}));

/** Random legal configs: output padding < max(stride, dilation), output size ≥ 1. */
const configArb: fc.Arbitrary<RefConfig> =
    fc.record({
        n: fc.integer({min: 0, max: 2}),
        groups: fc.integer({min: 1, max: 3}),
        cig: fc.integer({min: 1, max: 3}),
        cog: fc.integer({min: 1, max: 3}),
        size: fc.tuple(fc.integer({min: 1, max: 4}), fc.integer({min: 1, max: 4}),
                       fc.integer({min: 1, max: 4})),
        kernel: axis,
        stride: axis,
        dilation: axis,
        padRaw: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
        opRaw: fc.tuple(fc.nat(9), fc.nat(9), fc.nat(9)),
      })
        .map(r => {
          const c: RefConfig = {
            n: r.n, cin: r.cig * r.groups, cout: r.cog * r.groups, groups: r.groups,
            size: [...r.size], kernel: [...r.kernel], stride: [...r.stride],
            dilation: [...r.dilation], padding: [...r.padRaw],
            outputPadding: r.opRaw.map((o, i) => o % Math.max(r.stride[i], r.dilation[i])),
          };
          return c;
        })
        .filter(c => refOutSize(c).every(s => s >= 1));

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({length: n}, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const prod = (a: number[]) => a.reduce((p, v) => p * v, 1);

function tensors(c: RefConfig, seed: number) {
  const xs = [c.n, c.cin, ...c.size];
  const ws = [c.cin, c.cout / c.groups, ...c.kernel];
  return {
    xShape: xs, wShape: ws,
    x: rand(prod(xs), seed), w: rand(prod(ws), seed + 1), b: rand(c.cout, seed + 2),
  };
}

const opts = (c: RefConfig) => ({
  stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, dilation: c.dilation,
  groups: c.groups,
});

/**
 * Fewer runs on the GPU backends, where each new geometry compiles shaders (seconds each on webgl
 * in SwiftShader; 300 random geometries take 90 s on webgpu).
 */
const runs = (backend: string, n: number) =>
    backend === 'webgl' || backend === 'webgpu' ? Math.ceil(n / 6) : n;

describeWithBackends('convTranspose3d equals the float64 reference (property)', backend => {
  it(`on ${runs(backend, 300)} random configurations`, async () => {
    // Async reads: tfjs-webgpu's dataSync is a canvas readback that loses the device under
    // headless Chromium's SwiftShader adapter.
    await expectNoLeak(async () => {
      await fc.assert(fc.asyncProperty(configArb, fc.boolean(), fc.nat(1000), async (c, withBias, seed) => {
        const {xShape, wShape, x, w, b} = tensors(c, seed);
        const expected = refConvTranspose3d(c, x, w, withBias ? b : null);
        const y = tf.tidy(() => convTranspose3d(
            tf.tensor(x, xShape), tf.tensor(w, wShape), withBias ? tf.tensor(b) : null, opts(c)));
        expect(y.shape).toEqual([c.n, c.cout, ...refOutSize(c)]);
        expectClose(await y.data(), expected, 1e-5, 1e-5, JSON.stringify(c));
        y.dispose();
      }), {numRuns: runs(backend, 300), seed: Date.now() % 100000});
    });
  });
});

describeWithBackends('convTranspose3d gradients equal finite differences (property)', backend => {
  it(`on ${runs(backend, 25)} random configurations, with a float64 central difference of the reference`, async () => {
    await expectNoLeak(async () => {
      await fc.assert(fc.asyncProperty(configArb.filter(c => c.n > 0), fc.nat(1000), async (c, seed) => {
        const {xShape, wShape, x, w, b} = tensors(c, seed);
        const yLen = c.n * c.cout * prod(refOutSize(c));
        const cot = rand(yLen, seed + 3);
        // L(x, w, b) = Σ ref(x, w, b) · cot, differentiated numerically in float64.
        const loss = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>) =>
            refConvTranspose3d(c, xx, ww, bb).reduce((s, v, i) => s + v * cot[i], 0);
        const numeric = (which: 0|1|2) => {
          const base = [Float64Array.from(x), Float64Array.from(w), Float64Array.from(b)];
          const v = base[which];
          const h = 1e-3;
          return Array.from(v, (_, i) => {
            const keep = v[i];
            v[i] = keep + h;
            const up = loss(base[0], base[1], base[2]);
            v[i] = keep - h;
            const down = loss(base[0], base[1], base[2]);
            v[i] = keep;
            return (up - down) / (2 * h);
          });
        };
        const grads = tf.tidy(() => tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
            tf.sum(tf.mul(convTranspose3d(xx, ww, bb, opts(c)), tf.tensor(cot, [c.n, c.cout, ...refOutSize(c)]))))(
            [tf.tensor(x, xShape), tf.tensor(w, wShape), tf.tensor(b)]));
        const names = ['input', 'weight', 'bias'];
        for (let i = 0; i < 3; i++) {
          expectClose(await grads[i].data(), numeric(i as 0|1|2), 1e-3, 1e-3,
                      `d/d${names[i]} ${JSON.stringify(c)}`);
        }
        tf.dispose(grads);
      }), {numRuns: runs(backend, 25), seed: Date.now() % 100000});
    });
  });
});
