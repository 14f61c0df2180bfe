import * as tf from '@tensorflow/tfjs-core';
import {conv3d, convTranspose3d} from '../src/index.js';
import {ConvCase, conv3dCases, conv3dDirectCases, convTransposeCases, trainingFixture} from './fixtures/fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance} from './util.js';

type Op = typeof convTranspose3d;

/**
 * Σ t. A trailing zero keeps it defined for an empty t on webgl, whose sum of an empty tensor
 * fails in tfjs 4.22 (it divides 0 by 0 to get a batch size).
 */
function sumAll(t: tf.Tensor): tf.Tensor {
  return t.size > 0 ? tf.sum(t) : tf.sum(tf.concat([tf.reshape(t, [0]), tf.zeros([1])]));
}

/** Gradients of sum(op(x, w, b) · cot) with respect to x, w (and b), as PyTorch's autograd. */
async function checkGradients(op: Op, c: ConvCase) {
  await expectNoLeak(async () => {
    const x = fromFixture(c.input), w = fromFixture(c.weight), cot = fromFixture(c.cot);
    const b = c.bias ? fromFixture(c.bias) : null;
    const args = b ? [x, w, b] : [x, w];
    const f = (...t: tf.Tensor[]) => sumAll(tf.mul(op(t[0], t[1], t[2] ?? null, c.options), cot));
    const grads = tf.grads(f)(args);
    const {atol, rtol} = tolerance('grad');
    await expectTensorClose(grads[0], c.grads.input, atol, rtol, `${c.name} d/dinput`);
    await expectTensorClose(grads[1], c.grads.weight, atol, rtol, `${c.name} d/dweight`);
    if (c.grads.bias) await expectTensorClose(grads[2], c.grads.bias, atol, rtol, `${c.name} d/dbias`);
    tf.dispose([...grads, ...args, cot]);
  });
}

describeWithBackends('convTranspose3d gradients match PyTorch autograd', () => {
  for (const c of convTransposeCases) {
    it(c.name, () => checkGradients(convTranspose3d, c));
  }
});

describeWithBackends('convTranspose3d double backward matches PyTorch', () => {
  for (const c of convTransposeCases.filter(k => k.double)) {
    it(c.name, async () => {
      const d = c.double!;
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), w = fromFixture(c.weight), cot = fromFixture(c.cot);
        const r = fromFixture(d.r), r2 = fromFixture(d.r2);
        const b = c.bias ? fromFixture(c.bias) : null;
        const loss = (xx: tf.Tensor, ww: tf.Tensor) =>
            tf.sum(tf.mul(convTranspose3d(xx, ww, b, c.options), cot));
        // d/dweight of Σ(dInput · r), and d/dinput of Σ(dWeight · r2).
        const gw = tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.grad((xx: tf.Tensor) => loss(xx, ww))(x), r)))(w);
        const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.grad((ww: tf.Tensor) => loss(xx, ww))(w), r2)))(x);
        const {atol, rtol} = tolerance('double');
        await expectTensorClose(gw, d.weightOfInputGrad, atol, rtol, `${c.name} d/dweight(Σ dInput·r)`);
        await expectTensorClose(gx, d.inputOfWeightGrad, atol, rtol, `${c.name} d/dinput(Σ dWeight·r2)`);
        tf.dispose([x, w, cot, r, r2, gw, gx, ...(b ? [b] : [])]);
      });
    });
  }
});

describeWithBackends('the bias gradient and its own gradient', () => {
  it('d/dcot of Σ(dBias · v) is v broadcast over N, D, H, W (double backward through the bias)', async () => {
    await expectNoLeak(async () => {
      const x = tf.randomNormal([2, 3, 2, 3, 2]), w = tf.randomNormal([3, 4, 2, 2, 2]);
      const b = tf.randomNormal([4]), cot = tf.randomNormal([2, 4, 4, 6, 4]);
      const v = tf.tensor1d([1, -2, 0.5, 3]);
      const dBias = (c: tf.Tensor) =>
          tf.grad((bb: tf.Tensor) => tf.sum(tf.mul(convTranspose3d(x, w, bb, {stride: 2}), c)))(b);
      const db = dBias(cot);
      // Σ over all but the channel axis, summed here in float64 from the data.
      const cv = await cot.data(), expectDb = [0, 0, 0, 0];
      for (let i = 0; i < cv.length; i++) expectDb[Math.floor(i / 96) % 4] += cv[i];
      await expectTensorClose(db, {shape: [4], data: expectDb}, 1e-4, 1e-4, 'dBias');
      const g = tf.grad((c: tf.Tensor) => tf.sum(tf.mul(dBias(c), v)))(cot);
      const expected = Array.from({length: 768}, (_, i) => [1, -2, 0.5, 3][Math.floor(i / 96) % 4]);
      await expectTensorClose(g, {shape: cot.shape, data: expected}, 1e-6, 1e-6, 'd/dcot');
      tf.dispose([x, w, b, cot, v, db, g]);
    });
  });
});

describeWithBackends('conv3d (PyTorch semantics) matches F.conv3d', () => {
  // conv3dDirectCases: shapes of the SIMD core's direct path (the demo U-Net's layers among them).
  for (const c of [...conv3dCases, ...conv3dDirectCases]) {
    it(`${c.name} forward`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), w = fromFixture(c.weight);
        const b = c.bias ? fromFixture(c.bias) : null;
        const y = conv3d(x, w, b, c.options);
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(y, c.output, atol, rtol, c.name);
        tf.dispose([x, w, y, ...(b ? [b] : [])]);
      });
    });
    it(`${c.name} gradients`, () => checkGradients(conv3d as unknown as Op, c));
  }

  it('refuses a kernel larger than the padded input with PyTorch\'s message', async () => {
    const x = tf.zeros([1, 1, 2, 2, 2]), w = tf.zeros([1, 1, 3, 3, 3]);
    await expectNoLeak(() => {
      expect(() => conv3d(x, w)).toThrowError(
          /^conv3d: Calculated padded input size per channel: \(2 x 2 x 2\)\. Kernel size: \(3 x 3 x 3\)\. Kernel size can't be greater than actual input size$/);
    });
    tf.dispose([x, w]);
  });

  it('refuses a channel mismatch with PyTorch\'s message', async () => {
    const x = tf.zeros([1, 3, 4, 4, 4]), w = tf.zeros([2, 2, 3, 3, 3]);
    await expectNoLeak(() => {
      expect(() => conv3d(x, w)).toThrowError(
          /Given groups=1, weight of size \[2, 2, 3, 3, 3\], expected input\[1, 3, 4, 4, 4\] to have 2 channels, but got 3 channels instead/);
    });
    tf.dispose([x, w]);
  });
});

function variableFrom(a: {shape: number[], data: number[]}): tf.Variable {
  return tf.tidy(() => tf.variable(fromFixture(a)));
}

describeWithBackends('training through convTranspose3d', () => {
  const t = trainingFixture;

  it('one SGD step from fixed weights equals PyTorch\'s updated weights', async () => {
    await expectNoLeak(async () => {
      const x = fromFixture(t.input), target = fromFixture(t.target);
      const w = variableFrom(t.weight), b = variableFrom(t.bias);
      const opt = tf.train.sgd(t.lr);
      const loss = opt.minimize(
          () => tf.mean(tf.squaredDifference(convTranspose3d(x, w, b, t.options), target)), true,
          [w, b])!;
      expect(Math.abs((await loss.data())[0] - t.loss)).toBeLessThan(1e-4 * Math.abs(t.loss) + 1e-5);
      const {atol, rtol} = tolerance('grad');
      await expectTensorClose(w, t.weightAfter, atol, rtol, 'weight after one step');
      await expectTensorClose(b, t.biasAfter, atol, rtol, 'bias after one step');
      tf.dispose([x, target, w, b, loss]);
      opt.dispose();
    });
  });

  it('a few SGD steps reduce the loss', async () => {
    await expectNoLeak(async () => {
      const x = fromFixture(t.input), target = fromFixture(t.target);
      const w = variableFrom(t.weight), b = variableFrom(t.bias);
      const opt = tf.train.sgd(t.lr);
      const losses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const l = opt.minimize(
            () => tf.mean(tf.squaredDifference(convTranspose3d(x, w, b, t.options), target)), true,
            [w, b])!;
        losses.push((await l.data())[0]);
        l.dispose();
      }
      expect(losses[9]).toBeLessThan(losses[0] * 0.9);
      for (let i = 1; i < 10; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
      tf.dispose([x, target, w, b]);
      opt.dispose();
    });
  });
});
