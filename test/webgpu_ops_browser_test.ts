// Our whole-network kernels on webgpu compile nothing for a new input size: sizes are uniforms,
// and the views tfjs-webgpu sees (inputs [n], output [size, 1], a dispatch never flat) keep its
// pipeline key independent of the sizes (kernels/webgpu/ops_util.ts). Counted in tfjs-webgpu's
// pipeline cache, our programs only (their keys start with `pt`).
import * as tf from '@tensorflow/tfjs-core';
import {avgPool3d, batchNorm, groupNorm, instanceNorm, interpolate, maxPool3d, pad} from '../src/index.js';
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

describeWithBackends('webgpu: a new input size compiles none of our programs', () => {
  for (const f of FAMILIES) {
    it(f.name, async () => {
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
}, label => label === 'webgpu');
