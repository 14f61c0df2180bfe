// tfjs' own ops and layers that a ported 3-D network runs on rank-5 tensors beside ours (skips by
// tf.layers.concatenate({axis: 1}) / add, activations), checked on webgpu against cpu. tfjs-webgpu
// 4.22 compiles some rank-5 shaders wrongly (`vec5` indexed as a vector: the shader fails with
// only a console warning and the output is left unwritten), so each is checked here with
// WEBGPU_CPU_FORWARD off (small inputs would otherwise run on tfjs' cpu kernels, hiding the GPU
// path). What docs/webgpu.md ("Whole-network ops") says about them rests on these specs.
import * as tf from '@tensorflow/tfjs';
import {linear} from '../src/index.js';
import {describeWithBackends, expectClose, expectNoLeak} from './util.js';

/** A [2, C, 3, 4, 5] float tensor with values of both signs (deterministic). */
function data(c: number, seed: number): {values: Float32Array, shape: number[]} {
  const shape = [2, c, 3, 4, 5], n = shape.reduce((p, q) => p * q, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.sin(1.7 * i + seed) * 3;
  return {values, shape};
}

type Case = {name: string, run: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor|tf.Tensor[]};

const CASES: Case[] = [
  {name: 'tf.layers.concatenate({axis: 1})',
   run: (a, b) => tf.layers.concatenate({axis: 1}).apply([a, b]) as tf.Tensor},
  {name: 'tf.layers.add', run: a => tf.layers.add().apply([a, tf.mul(a, 2)]) as tf.Tensor},
  {name: 'tf.layers.leakyReLU({alpha: 0.01})',
   run: a => tf.layers.leakyReLU({alpha: 0.01}).apply(a) as tf.Tensor},
  {name: 'tf.layers.reLU', run: a => tf.layers.reLU().apply(a) as tf.Tensor},
  {name: "tf.layers.activation('sigmoid')",
   run: a => tf.layers.activation({activation: 'sigmoid'}).apply(a) as tf.Tensor},
  {name: 'tf.add with a [1, C, 1, 1, 1] bias', run: a => tf.add(a, tf.ones([1, 3, 1, 1, 1]))},
  // W = 4: tfjs' vec4 binary path (our norms' double backward multiplies dy by a [N, C, 1, 1, 1]).
  {name: 'tf.mul by [N, C, 1, 1, 1] with W = 4',
   run: a => tf.mul(tf.reshape(tf.slice(a, [0], [2, 3, 3, 4, 4]), [2, 3, 3, 4, 4]),
                    tf.reshape(tf.range(1, 7), [2, 3, 1, 1, 1]))},
  {name: 'tf.sum over [2, 3, 4] after a reshape to rank 3 (our row sums; summation order: 1e-5)',
   run: a => tf.sum(tf.reshape(a, [2, 3, 60]), 2)},
  {name: 'gradient of concatenate axis 1 (slices)',
   run: (a, b) => tf.grads((u: tf.Tensor, v: tf.Tensor) =>
       tf.sum(tf.mul(tf.concat([u, v], 1), tf.concat([u, v], 1))))([a, b])},
  // Ours: F.linear with a 1-D weight [W] on a rank-5 input (a rank-1 operand < 128 elements is
  // the pattern tfjs-webgpu gets wrong on rank 5; linear flattens to [m, W] first).
  {name: 'our linear with a 1-D weight on a rank-5 input (and its gradients)',
   run: a => {
     const w = tf.range(-2, 3), b = tf.scalar(0.5);
     return [linear(a, w, b), ...tf.grads((u: tf.Tensor, v: tf.Tensor) =>
         tf.sum(tf.square(linear(u, v, b))))([a, w])];
   }},
  {name: 'gradient of reLU and sigmoid',
   run: a => tf.grad((u: tf.Tensor) => tf.sum(tf.sigmoid(tf.relu(u))))(a)},
];

describeWithBackends('tfjs ops on rank-5 tensors on webgpu (a U-Net\'s skips and activations)',
                     () => {
  let cpuForward: boolean;
  beforeAll(() => {
    cpuForward = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  afterAll(() => tf.env().set('WEBGPU_CPU_FORWARD', cpuForward));

  for (const c of CASES) {
    it(`${c.name} matches cpu`, async () => {
      const da = data(3, 0), db = data(2, 1);
      const compute = async () => {
        const a = tf.tensor(da.values, da.shape), b = tf.tensor(db.values, db.shape);
        const out = tf.tidy(() => c.run(a, b));
        const outs = Array.isArray(out) ? out : [out];
        const values = await Promise.all(outs.map(t => t.data()));
        tf.dispose([a, b, ...outs]);
        return values;
      };
      await expectNoLeak(async () => {
        const got = await compute();
        await tf.setBackend('cpu');
        const want = await compute();
        await tf.setBackend('webgpu');
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => expectClose(g, want[i], 1e-5, 1e-5, `${c.name} [${i}]`));
      });
    });
  }

  it('tf.where on rank 5 (leakyReLU\'s gradient) throws in tfjs-webgpu 4.22: loud', async () => {
    // tfjs' LeakyRelu gradient is where(x > 0, dy, alpha·dy): training through
    // tf.layers.leakyReLU on rank-5 maps fails with this error (docs/webgpu.md).
    // Tensors only: tfjs' Select kernel allocates its output buffer before it throws (its leak).
    const before = tf.memory().numTensors;
    const a = tf.tensor(data(3, 0).values, data(3, 0).shape);
    try {
      expect(() => tf.tidy(() => tf.where(tf.greater(a, 0), a, tf.mul(a, 0.01))))
          .toThrowError(/Where for rank 5 is not yet supported/);
    } finally {
      a.dispose();
    }
    expect(tf.memory().numTensors).withContext('tensors leaked').toBe(before);
  });
}, label => label === 'webgpu');
