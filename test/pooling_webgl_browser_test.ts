// Browser only (webgl): pooling's and interpolate's shaders with float16 render targets, and
// that a new input size compiles no new shader. Node does not load *_browser_test.ts files.
import * as tf from '@tensorflow/tfjs-core';
import {avgPool3d, interpolate, InterpolateOptions, maxPool1d, maxPool2d, maxPool3d, avgPool1d, avgPool2d} from '../src/index.js';
import {interpolateCases, poolCases} from './fixtures/pool_fixtures.js';
import {expectNoLeak, expectTensorClose, fromFixture} from './util.js';

type PoolFn = (x: tf.Tensor, k: number|number[], o?: object) => tf.Tensor;
const FNS: Record<string, PoolFn> = {
  max1: maxPool1d, max2: maxPool2d, max3: maxPool3d,
  avg1: avgPool1d, avg2: avgPool2d, avg3: avgPool3d,
};
const fnOf = (kind: string, nd: number) => FNS[`${kind}${nd}`];

// webgl only: a new input size must compile no new shader (sizes are uniforms).
describe('pooling and interpolate on webgl', () => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('webgl');
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it('float16 render targets (WEBGL_RENDER_FLOAT32_ENABLED false): fixtures within float16 ' +
     'tolerance', async () => {
    const flag = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
    tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', false);
    try {
      for (const c of poolCases.filter((_, i) => i % 4 === 0)) {
        await expectNoLeak(async () => {
          const x = fromFixture(c.input), g = fromFixture(c.cot);
          const f = (t: tf.Tensor) => fnOf(c.kind, c.nd)(t, c.kernelSize, c.options);
          const y = f(x), dx = tf.grad(f)(x, g);
          await expectTensorClose(y, c.output, 2e-2, 2e-2, `${c.name} float16`);
          await expectTensorClose(dx, c.grad, 5e-2, 5e-2, `${c.name} float16 grad`);
          tf.dispose([x, g, y, dx]);
        });
      }
      await expectNoLeak(async () => {
        const x = tf.randomNormal([1, 1, 2, 2, 2]);
        const y = interpolate(x, {scaleFactor: 2, mode: 'trilinear'});
        expect(y.shape).toEqual([1, 1, 4, 4, 4]);
        tf.dispose([x, y]);
      });
    } finally {
      tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', flag);
    }
  });

  it('compiles each shader once, not once per input size', async () => {
    const cache = (tf.backend() as unknown as {binaryCache: Record<string, unknown>}).binaryCache;
    const names = ['PoolProgram', 'PoolGradProgram', 'InterpolateProgram', 'InterpolateGradProgram'];
    const ours = () => Object.keys(cache).filter(k => names.some(n => k.startsWith(n + '_')));
    const before = ours().length;
    const counts: number[] = [];
    for (const size of [4, 5, 6]) {
      await expectNoLeak(async () => {
        const x = tf.randomNormal([1, 2, size, size + 1, size]);
        const f = (t: tf.Tensor) => tf.add(
            tf.sum(interpolate(maxPool3d(t, 2, {ceilMode: true}), {scaleFactor: 1.5, mode: 'trilinear'})),
            tf.sum(interpolate(avgPool3d(t, 3, {stride: 2, padding: 1}), {size: [3, 2, 3]})));
        const dx = tf.grad(f)(x);
        await dx.data();
        tf.dispose([x, dx]);
      });
      counts.push(ours().length - before);
    }
    // Some may exist from earlier specs (same hyper-parameters, same source); none is new later.
    expect(counts[0]).toBeGreaterThanOrEqual(1);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
  });
});

// webgl only: float16 render targets keep exact table indices (sizes ≤ 2048).
describe('interpolate on webgl, float16', () => {
  let previous: string, flag: boolean;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('webgl');
    flag = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
    tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', false);
  });
  afterAll(async () => {
    tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', flag);
    await tf.setBackend(previous);
  });

  for (const c of interpolateCases.filter((_, i) => i % 3 === 0)) {
    it(`${c.name}: forward and gradient within float16 tolerance`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), g = fromFixture(c.cot);
        const f = (t: tf.Tensor) => interpolate(t, c.options as InterpolateOptions);
        const y = f(x), dx = tf.grad(f)(x, g);
        await expectTensorClose(y, c.output, 2e-2, 2e-2, `${c.name} float16`);
        await expectTensorClose(dx, c.grad, 5e-2, 5e-2, `${c.name} float16 grad`);
        tf.dispose([x, g, y, dx]);
      });
    });
  }

  it('refuses sizes whose indices float16 cannot hold', async () => {
    const x = tf.zeros([1, 1, 3000]);
    await expectNoLeak(() => {
      expect(() => interpolate(x, {scaleFactor: 0.5})).toThrowError(
          /interpolate \(webgl\): spatial sizes must be at most 2048 \(indices are float16/);
    });
    x.dispose();
  });
});
