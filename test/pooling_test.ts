import * as tf from '@tensorflow/tfjs-core';
import {avgPool1d, avgPool2d, avgPool3d, maxPool1d, maxPool2d, maxPool3d} from '../src/index.js';
import {ourPhrase, POOL_TORCH_VERSION, poolCases, poolErrors} from './fixtures/pool_fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance} from './util.js';

type PoolFn = (x: tf.Tensor, k: number|number[], o?: object) => tf.Tensor;
const FNS: Record<string, PoolFn> = {
  max1: maxPool1d, max2: maxPool2d, max3: maxPool3d,
  avg1: avgPool1d, avg2: avgPool2d, avg3: avgPool3d,
};
const fnOf = (kind: string, nd: number) => FNS[`${kind}${nd}`];

describeWithBackends('pooling matches PyTorch ' + POOL_TORCH_VERSION, () => {
  for (const c of poolCases) {
    it(`${c.name}: forward`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input);
        const y = fnOf(c.kind, c.nd)(x, c.kernelSize, c.options);
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(y, c.output, atol, rtol, c.name);
        tf.dispose([x, y]);
      });
    });

    if (c.indices) {
      it(`${c.name}: returnIndices gives PyTorch's indices (ties: the first maximum)`, async () => {
        await expectNoLeak(async () => {
          const x = fromFixture(c.input);
          const [y, idx] = (fnOf(c.kind, c.nd) as unknown as (...a: unknown[]) => tf.Tensor[])(
              x, c.kernelSize, {...c.options, returnIndices: true});
          await expectTensorClose(y, c.output, 2e-4, 2e-4, c.name);
          expect(idx.dtype).toBe('int32');
          expect(idx.shape).toEqual(c.indices!.shape);
          expect(Array.from(await idx.data())).toEqual(c.indices!.data);
          tf.dispose([x, y, idx]);
        });
      });
    }

    it(`${c.name}: input gradient`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), g = fromFixture(c.cot);
        const dx = tf.grad((t: tf.Tensor) => fnOf(c.kind, c.nd)(t, c.kernelSize, c.options))(x, g);
        const {atol, rtol} = tolerance('grad');
        await expectTensorClose(dx, c.grad, atol, rtol, `${c.name} grad`);
        tf.dispose([x, g, dx]);
      });
    });
  }

  it('max pooling pads with −∞: an all-negative input never reads a padded 0', async () => {
    await expectNoLeak(async () => {
      const x = tf.fill([1, 1, 3, 3, 3], -5);
      const y = maxPool3d(x, 3, {stride: 2, padding: 1});
      expect(Array.from(await y.data())).toEqual(new Array(8).fill(-5));
      tf.dispose([x, y]);
    });
  });

  it('a NaN in a window wins, as in PyTorch', async () => {
    await expectNoLeak(async () => {
      const x = tf.tensor([1, NaN, 3, 4], [1, 1, 4]);
      const y = maxPool1d(x, 2);
      const v = await y.data();
      expect(Number.isNaN(v[0])).toBe(true);
      expect(v[1]).toBe(4);
      tf.dispose([x, y]);
    });
  });

  it('an empty batch gives an empty result', async () => {
    await expectNoLeak(async () => {
      const x = tf.zeros([0, 2, 4, 4, 4]);
      const y = avgPool3d(x, 2);
      expect(y.shape).toEqual([0, 2, 2, 2, 2]);
      tf.dispose([x, y]);
    });
  });

  it('accepts nested arrays', async () => {
    await expectNoLeak(async () => {
      const y = avgPool2d([[[1, 2], [3, 4]]], 2);
      expect(y.shape).toEqual([1, 1, 1]);
      expect(Array.from(await y.data())).toEqual([2.5]);
      y.dispose();
    });
  });
});

describeWithBackends('pooling errors match PyTorch', () => {
  for (const e of poolErrors) {
    it(e.name, async () => {
      const x = tf.zeros(e.shape);
      const fnName = `${e.kind}Pool${e.nd}d`;
      await expectNoLeak(() => {
        expect(() => fnOf(e.kind, e.nd)(x, e.kernelSize, e.options)).toThrowMatching(err =>
            (err as Error).message.startsWith(`${fnName}: `) &&
            (err as Error).message.includes(ourPhrase(e.phrase)));
      });
      x.dispose();
    });
  }

  const x = () => tf.zeros([1, 2, 4, 4, 4]);
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['an unknown option with a tfjs hint', () => maxPool3d(x(), 2, {strides: 2} as object),
     /maxPool3d: got an unexpected keyword argument 'strides' \(did you mean 'stride'\?\)/],
    ['dilation in average pooling (PyTorch has none)', () => avgPool3d(x(), 2, {dilation: 2} as object),
     /avgPool3d: got an unexpected keyword argument 'dilation'/],
    ['divisorOverride in avgPool1d (F.avg_pool1d has none)',
     () => avgPool1d(tf.zeros([1, 2, 4]), 2, {divisorOverride: 2} as object),
     /avgPool1d: got an unexpected keyword argument 'divisorOverride'/],
    ['divisorOverride in max pooling', () => maxPool2d(tf.zeros([1, 2, 4, 4]), 2, {divisorOverride: 2} as object),
     /maxPool2d: got an unexpected keyword argument 'divisorOverride'/],
    ['a non-integer kernel', () => maxPool3d(x(), 1.5),
     /maxPool3d: kernelSize must either be a single int, or a tuple of three ints, but got 1\.5/],
    ['returnIndices in average pooling', () => avgPool2d(tf.zeros([1, 2, 4, 4]), 2, {returnIndices: true} as object),
     /avgPool2d: got an unexpected keyword argument 'returnIndices'/],
    ['a non-boolean returnIndices', () => maxPool3d(x(), 2, {returnIndices: 'yes'} as object),
     /maxPool3d: argument 'returnIndices' must be a boolean, but got "yes"/],
    ['a non-boolean ceilMode', () => maxPool3d(x(), 2, {ceilMode: 1} as object),
     /maxPool3d: argument 'ceilMode' must be a boolean, but got 1/],
    ['a non-integer divisor', () => avgPool3d(x(), 2, {divisorOverride: 2.5}),
     /avgPool3d: argument 'divisorOverride' must be an integer.*but got 2\.5/],
    ['a missing kernel size', () => maxPool3d(x(), undefined as unknown as number),
     /maxPool3d: missing required argument 'kernelSize'/],
    ['an int32 input', () => maxPool3d(tf.zeros([1, 2, 4, 4, 4], 'int32'), 2),
     /maxPool3d: argument 'input' must be a float32 tensor, but got a int32 tensor/],
  ];
  for (const [name, f, re] of bad) {
    it(`refuses ${name}`, async () => {
      await expectNoLeak(() => {
        expect(() => tf.tidy(() => f() as tf.Tensor)).toThrowError(re);
      });
    });
  }
});

