/**
 * NaN and ±Inf propagate exactly as in PyTorch (forward, input, weight and bias gradients), on
 * every test backend: a kernel that multiplies zero padding or junk margins by a non-finite value
 * (0·NaN = NaN) would put NaN where PyTorch has a finite value.
 */
import * as tf from '@tensorflow/tfjs-core';
import {conv3d, convTranspose3d} from '../src/index.js';
import {NONFINITE_TORCH_VERSION, NonFiniteArray, nonFiniteCases, numbers} from './fixtures/nonfinite.js';
import {describeWithBackends, expectNoLeak, tolerance} from './util.js';

const fromFixture = (a: NonFiniteArray) => tf.tensor(numbers(a), a.shape, 'float32');

/** NaN and ±Inf at exactly PyTorch's positions, finite values within tolerance. */
async function expectSame(actual: tf.Tensor, expected: NonFiniteArray, what: string) {
  expect(actual.shape).withContext(`${what} shape`).toEqual(expected.shape);
  const got = await actual.data(), want = numbers(expected);
  const {atol, rtol} = tolerance('grad');
  const wrong: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const a = got[i], e = want[i];
    const ok = Number.isFinite(e) ? Math.abs(a - e) <= atol + rtol * Math.abs(e) :
                                    Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e));
    if (!ok) wrong.push(`[${i}] ${a} (PyTorch: ${e})`);
  }
  expect(wrong.length).withContext(`${what}: ${wrong.slice(0, 8).join(', ')}`).toBe(0);
}

// WebGL is left out: GLSL ES 3.00 does not require IEEE NaN and Inf (§4.5.1), and tfjs' shaders
// on SwiftShader turn ±Inf into NaN (README, the op's notes).
describeWithBackends(`NaN and Inf propagate as in PyTorch ${NONFINITE_TORCH_VERSION}`, () => {
  for (const c of nonFiniteCases) {
    it(c.name, async () => {
      const op = c.op === 'conv3d' ? conv3d : convTranspose3d;
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), w = fromFixture(c.weight), b = fromFixture(c.bias);
        const cot = fromFixture(c.cot);
        const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => op(xx, ww, bb, c.options);
        const y = f(x, w, b);
        await expectSame(y, c.output, `${c.name} forward`);
        const [gx, gw, gb] = tf.grads(f)([x, w, b], cot);
        await expectSame(gx, c.grads.input, `${c.name} d/dinput`);
        await expectSame(gw, c.grads.weight, `${c.name} d/dweight`);
        await expectSame(gb, c.grads.bias, `${c.name} d/dbias`);
        tf.dispose([x, w, b, cot, y, gx, gw, gb]);
      });
    });
  }
  // Not on the GPU backends: neither GLSL ES 3.00 nor WGSL promises IEEE NaN/Inf. On webgpu
  // (SwiftShader) NaN in a weight or dy was measured to come out finite in 7 of the cases.
}, label => !label.startsWith('webgl') && !label.startsWith('webgpu'));
