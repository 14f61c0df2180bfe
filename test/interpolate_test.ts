import * as tf from '@tensorflow/tfjs-core';
import {interpolateForward, interpolateReference} from '../kernels/cpu/interpolate.js';
import {interpolate, InterpolateOptions, setCpuImplementation} from '../src/index.js';
import type {InterpolateAttrs} from '../src/interpolate.js';
import {interpolateCases, interpolateErrors, POOL_TORCH_VERSION} from './fixtures/pool_fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance} from './util.js';

describeWithBackends('interpolate matches PyTorch ' + POOL_TORCH_VERSION, () => {
  for (const c of interpolateCases) {
    const opts = c.options as InterpolateOptions;
    it(`${c.name}: forward`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input);
        const y = interpolate(x, opts);
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(y, c.output, atol, rtol, c.name);
        tf.dispose([x, y]);
      });
    });

    it(`${c.name}: input gradient`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), g = fromFixture(c.cot);
        const dx = tf.grad((t: tf.Tensor) => interpolate(t, opts))(x, g);
        const {atol, rtol} = tolerance('grad');
        await expectTensorClose(dx, c.grad, atol, rtol, `${c.name} grad`);
        tf.dispose([x, g, dx]);
      });
    });
  }

  it('an empty batch gives an empty result (and gradient), as in PyTorch', async () => {
    await expectNoLeak(async () => {
      const x = tf.zeros([0, 2, 4, 4, 4]);
      const y = interpolate(x, {scaleFactor: 2, mode: 'trilinear'});
      const dx = tf.grad((t: tf.Tensor) => interpolate(t, {scaleFactor: 2}))(x);
      expect(y.shape).toEqual([0, 2, 8, 8, 8]);
      expect(dx.shape).toEqual([0, 2, 4, 4, 4]);
      tf.dispose([x, y, dx]);
    });
  });

  it('second derivative: the gradient of the gradient is the forward again', async () => {
    await expectNoLeak(async () => {
      const c = interpolateCases.find(k => k.name === 'trilinear_scale1.7')!;
      const x = fromFixture(c.input), g = fromFixture(c.cot);
      // d/dg Σ(dx(g) · x) = interpolate(x): checks InterpolateGrad's own gradient.
      const h = tf.grad((gg: tf.Tensor) => tf.sum(tf.mul(
          tf.grad((t: tf.Tensor) => interpolate(t, c.options as InterpolateOptions))(x, gg), x)))(g);
      await expectTensorClose(h, c.output, 2e-4, 2e-4, 'double backward');
      tf.dispose([x, g, h]);
    });
  });
});

describeWithBackends('interpolate errors match PyTorch', () => {
  for (const e of interpolateErrors) {
    it(e.name, async () => {
      const x = tf.zeros(e.shape);
      await expectNoLeak(() => {
        expect(() => interpolate(x, e.options as InterpolateOptions)).toThrowMatching(err =>
            (err as Error).message.startsWith('interpolate: ') &&
            (err as Error).message.includes(e.phrase));
      });
      x.dispose();
    });
  }

  it('refuses an unknown mode, listing the choices', async () => {
    const x = tf.zeros([1, 1, 2, 2, 2]);
    await expectNoLeak(() => {
      expect(() => interpolate(x, {scaleFactor: 2, mode: 'bicubic' as 'linear'})).toThrowError(
          /interpolate: argument 'mode' must be one of 'nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear', but got "bicubic"/);
    });
    x.dispose();
  });

  it('refuses a non-integer size and a tfjs-style key', async () => {
    const x = tf.zeros([1, 1, 2, 2, 2]);
    await expectNoLeak(() => {
      expect(() => interpolate(x, {size: 2.5})).toThrowError(
          /interpolate: argument 'size' must be an integer or a list of 3, but got 2\.5/);
      expect(() => interpolate(x, {scale_factor: 2} as object)).toThrowError(
          /unexpected keyword argument 'scale_factor' \(did you mean 'scaleFactor'\?\)/);
    });
    x.dispose();
  });
});


describe('the cpu interpolate passes (repeats, row copies, paired rows) match the plain loop', () => {
  let seed = 5;
  const r = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const modes: InterpolateAttrs['mode'][] = ['nearest', 'nearest-exact', 'linear'];
  // Trials 60+: maps wide enough for the SIMD passes' four-element steps, some planes larger
  // than one staging chunk (16384 floats).
  for (let trial = 0; trial < 84; trial++) {
    const mode = modes[trial % 3], alignCorners = mode === 'linear' && r() < 0.5;
    const wide = trial >= 60;
    const inSize = wide ? [int(1, 6), int(1, 12), int(4, trial % 4 === 0 ? 90 : 20)] :
        [int(1, 5), int(1, 5), int(1, 5)];
    // Integer factors (×2, ×3: the repeat paths), same size (identity axes), other sizes,
    // half the trials with the user's scale factors.
    const outSize = inSize.map(v => {
      const u = r();
      return u < 0.3 ? 2 * v : u < 0.4 ? 3 * v : u < 0.55 ? v : int(1, 9);
    }) as [number, number, number];
    const scales = (r() < 0.5 ? outSize.map((o, i) => o / inSize[i]) : [0, 0, 0]) as
        [number, number, number];
    const shape = [int(1, 2), int(1, 2), ...inSize];
    const attrs: InterpolateAttrs = {mode, alignCorners, outSize, scales};
    trialIt(trial, shape, attrs);
  }
  // Trials 84+: planes whose input or output exceeds the staging window (16384 floats): the SIMD
  // path's slice-by-slice order (kernels/simd/pool_simd.ts sliceWiseInterpolate), with every axis
  // up-sampled, down-sampled or kept (skipped passes), and depth down-sampling that jumps slices.
  for (let trial = 84; trial < 108; trial++) {
    const mode = modes[trial % 3], alignCorners = mode === 'linear' && r() < 0.5;
    const inSize = [int(2, 14), int(6, 30), int(6, 44)];
    const outSize = inSize.map(v => {
      const u = r();
      return u < 0.35 ? 2 * v : u < 0.45 ? 3 * v : u < 0.6 ? v : int(1, 2 * v + 3);
    }) as [number, number, number];
    if (Math.max(inSize[0] * inSize[1] * inSize[2], outSize[0] * outSize[1] * outSize[2]) <= 16384) {
      outSize[1] = 2 * inSize[1] + 7;
      outSize[2] = 2 * inSize[2] + 5;
    }
    const scales = (r() < 0.5 ? outSize.map((o, i) => o / inSize[i]) : [0, 0, 0]) as
        [number, number, number];
    const shape = [int(1, 2), int(1, 2), ...inSize];
    trialIt(trial, shape, {mode, alignCorners, outSize, scales});
  }

  function trialIt(trial: number, shape: number[], attrs: InterpolateAttrs) {
    const {mode, alignCorners, outSize, scales} = attrs;
    it(`trial ${trial}: ${mode}${alignCorners ? ' alignCorners' : ''} ${JSON.stringify(shape)} → ` +
       `${JSON.stringify(outSize)} scales ${JSON.stringify(scales)}`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({length: n}, () => {
        const u = r();
        return u < 0.02 ? NaN : u < 0.04 ? Infinity : (r() - 0.5) * 8;
      });
      const ref = Array.from(interpolateReference(x, shape, attrs));
      try {
        for (const impl of ['js', 'auto'] as const) {
          setCpuImplementation(impl);
          expect(Array.from(interpolateForward(x, shape, attrs))).withContext(impl).toEqual(ref);
        }
      } finally {
        setCpuImplementation('auto');
      }
    });
  }
});
