// Our whole-network kernels on webgpu compile nothing for a new input size (sizes are uniforms,
// and the views tfjs-webgpu sees (inputs [n], output [size, 1], a dispatch never flat) keep its
// pipeline key independent of the sizes: kernels/webgpu/ops_util.ts), counted in tfjs-webgpu's
// pipeline cache, our programs only (their keys start with `pt`); and outputs too large for one
// row of workgroups are written whole.
import * as tf from '@tensorflow/tfjs-core';
import {avgPool3d, batchNorm, groupNorm, instanceNorm, interpolate, maxPool3d, pad} from '../src/index.js';
import {checkFitsBinding} from '../kernels/webgpu/webgpu_util.js';
import {describeWithBackends, expectNoLeak} from './util.js';

function ourPipelines(): string[] {
  const b = tf.backend() as unknown as {pipelineCache: Record<string, unknown>};
  return Object.keys(b.pipelineCache).filter(k => k.startsWith('pt')).sort();
}

type Family = {name: string, run: (shape: number[]) => tf.Tensor[]};

/** Forward and gradient of `f` at x of `shape` (all outputs downloaded by the caller). */
const withGrad = (f: (x: tf.Tensor) => tf.Tensor) => (shape: number[]) => tf.tidy(() => {
  const x = tf.randomNormal(shape);
  const y = f(x);
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.square(f(t))))(x);
  return [x, y, dx];
});

const FAMILIES: Family[] = [
  {name: 'pad (constant with zero and non-zero pads, replicate, reflect, circular) and its gradient',
   run: withGrad(x => tf.addN([
     tf.slice(pad(pad(x, [0, 0, 0, 0]), [1, 1, 1, 1, 1, 1], {value: 2}), [0, 0, 1, 1, 1],
              x.shape),
     tf.slice(pad(x, [1, 1, 1, 1, 1, 1], {mode: 'replicate'}), [0, 0, 1, 1, 1], x.shape),
     tf.slice(pad(x, [1, 1, 1, 1, 1, 1], {mode: 'reflect'}), [0, 0, 1, 1, 1], x.shape),
     tf.slice(pad(x, [1, 1, 1, 1, 1, 1], {mode: 'circular'}), [0, 0, 1, 1, 1], x.shape)]))},
  {name: 'max and average pooling and their gradients',
   run: withGrad(x => tf.add(tf.sum(maxPool3d(x, 2, {ceilMode: true})),
                            tf.sum(avgPool3d(x, 3, {stride: 1, padding: 1}))))},
  {name: 'nearest and trilinear interpolation and their gradients',
   run: withGrad(x => tf.add(tf.sum(interpolate(x, {size: [5, 6, 7]})),
                            tf.sum(interpolate(x, {scaleFactor: 1.5, mode: 'trilinear'}))))},
  {name: 'batch, instance and group norm (training) and their gradients',
   run: withGrad(x => tf.addN([batchNorm(x, null, null, {training: true}), instanceNorm(x),
                              groupNorm(x, 2)]))},
];

describeWithBackends('webgpu: our whole-network programs', () => {
  for (const f of FAMILIES) {
    it(`compile once for four input sizes: ${f.name}`, async () => {
      await expectNoLeak(async () => {
        const run = async (shape: number[]) => {
          const ts = f.run(shape);
          await Promise.all(ts.map(t => t.data()));
          tf.dispose(ts);
        };
        await run([1, 4, 3, 4, 5]);
        const first = ourPipelines();
        expect(first.length).withContext('our programs ran').toBeGreaterThan(0);
        // Other sizes, batch and channels: cubes, a long axis, a batch of 3.
        for (const shape of [[2, 4, 5, 5, 5], [1, 4, 3, 3, 9], [3, 4, 4, 6, 3]]) await run(shape);
        expect(ourPipelines()).toEqual(first);
      });
    });
  }

  it('outputs past one dispatch row (over 2·65535 workgroups) are written whole', async () => {
    await expectNoLeak(async () => {
      // 130·130·258 outputs (68 128 workgroups of 64) and 2·128·128·257 (131 584: a 3-row dispatch).
      const x = tf.ones([1, 1, 128, 128, 256]);
      const y = pad(x, [1, 1, 1, 1, 1, 1], {value: 2});
      const v = await y.data();
      let sum = 0;
      for (let i = 0; i < v.length; i++) sum += v[i];
      const inner = 128 * 128 * 256;
      expect(sum).toBe(inner + 2 * (v.length - inner));
      expect([v[0], v[v.length - 1], v[130 * 258 + 258 + 1]]).toEqual([2, 2, 1]);
      const n = 2 * 128 * 128 * 257;
      const r = tf.tidy(() => tf.reshape(tf.range(0, n), [1, 2, 128, 128, 257]));
      const p = maxPool3d(r, 1);
      const pv = await p.data();
      let wrong = 0;
      for (let i = 0; i < n; i++) if (pv[i] !== i) wrong++;
      expect(wrong).withContext('elements not copied by maxPool3d(kernel 1)').toBe(0);
      tf.dispose([x, y, r, p]);
    });
  });
}, label => label === 'webgpu');

describe('webgpu: outputs past one storage binding', () => {
  it('are refused before any work, naming the op, the tensor and the limit', () => {
    // A stand-in backend with a 4 KiB binding limit (the real one is at least 128 MiB).
    const backend = {device: {limits: {maxStorageBufferBindingSize: 4096}}} as never;
    expect(() => checkFitsBinding(backend, 'pad', 'output', [1, 1, 32, 32])).not.toThrow();
    expect(() => checkFitsBinding(backend, 'pad', 'output', [1, 1, 32, 33]))
        .toThrowError(/^pad \(webgpu\): the output of size \[1, 1, 32, 33\] needs 4224 bytes, .*maxStorageBufferBindingSize = 4096/);
  });
});
