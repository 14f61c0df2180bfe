// Browser only (webgpu): the backend must initialise (a failure here, not a silent skip), our
// kernels are registered for it, their shaders compile without a WebGPU validation error, a new
// input size compiles no new pipeline, and registerCompositeKernels('webgpu') is refused.
// The parity suites run on webgpu when KARMA_BACKENDS (or test/util.ts' default) lists it.
import * as tf from '@tensorflow/tfjs-core';
import {BiasGrad, Conv3D, ConvTranspose3D, ConvTranspose3DWeightGrad, conv3d, convTranspose3d, convTranspose3dWeightGrad, registerCompositeKernels} from '../src/index.js';
import {expectClose, expectNoLeak} from './util.js';

type GPUDeviceLike = {
  pushErrorScope(filter: 'validation'|'out-of-memory'|'internal'): void,
  popErrorScope(): Promise<{message: string}|null>,
};
type WebGPUBackendLike = {device: GPUDeviceLike, pipelineCache: Record<string, unknown>};

const OUR_KERNELS = [ConvTranspose3D, Conv3D, ConvTranspose3DWeightGrad, BiasGrad];

describe('webgpu backend', () => {
  let previous: string;
  let ok = false;
  beforeAll(async () => {
    previous = tf.getBackend();
    ok = await tf.setBackend('webgpu');
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });
  const backend = () => tf.backend() as unknown as WebGPUBackendLike;

  it('initialises in the browser suite (Chromium --enable-unsafe-webgpu)', () => {
    expect(tf.findBackendFactory('webgpu')).withContext(
        '@tensorflow/tfjs-backend-webgpu not imported (test/setup_browser.ts)').not.toBeNull();
    expect(ok).withContext('tf.setBackend("webgpu") failed: no WebGPU adapter in this ' +
        'browser; the webgpu parity suites would not have run').toBe(true);
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('has our kernels registered for webgpu by the package import', () => {
    for (const name of OUR_KERNELS) {
      expect(tf.getKernel(name, 'webgpu')).withContext(name).toBeDefined();
    }
  });

  it('runs each kernel with no WebGPU validation error (its shader compiled)', async () => {
    const device = backend().device;
    await expectNoLeak(async () => {
      device.pushErrorScope('validation');
      const x = tf.randomNormal([2, 6, 3, 4, 5]);
      const w = tf.randomNormal([6, 5, 3, 2, 3]);   // groups 1: Cout 5 (a partial tile of 4)
      const b = tf.randomNormal([5]), b6 = tf.randomNormal([6]);
      const opts = {stride: [2, 1, 2], padding: [1, 0, 1], dilation: [1, 2, 1]};
      const y = convTranspose3d(x, w, b, opts);
      const back = conv3d(y, w, b6, opts);
      const dw = convTranspose3dWeightGrad(x, y, [3, 2, 3], opts);
      const db = tf.engine().runKernel(BiasGrad, {dy: y}) as tf.Tensor;
      await Promise.all([y, back, dw, db].map(t => t.data()));
      const error = await device.popErrorScope();
      expect(error?.message ?? null).toBeNull();
      expect(db.shape).toEqual([5]);
      // db against a plain sum of y (tfjs' own rank-3 sum).
      const sum = tf.tidy(() => tf.sum(tf.reshape(y, [2, 5, -1]), [0, 2]));
      expectClose(await db.data(), await sum.data(), 1e-4, 1e-4, 'bias gradient');
      tf.dispose([x, w, b, b6, y, back, dw, db, sum]);
    });
  });

  it('compiles a layer\'s programs once, not once per input size', async () => {
    const cache = backend().pipelineCache;
    const ours = () => Object.keys(cache).filter(k => k.startsWith('pt')).length;
    const w = tf.randomNormal([3, 4, 3, 3, 3]), bias = tf.randomNormal([4]);
    const counts: number[] = [];
    const results: Array<[Float32Array, number[]]> = [];
    for (const size of [3, 4, 6]) {
      await expectNoLeak(async () => {
        const x = tf.randomNormal([1, 3, size, size + 1, size]);
        const f = (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.square(convTranspose3d(a, b, bias, {stride: 2, padding: 1})));
        const [dx, dw] = tf.grads(f)([x, w]);
        const y = convTranspose3d(x, w, bias, {stride: 2, padding: 1});
        results.push([await y.data() as Float32Array, y.shape]);
        await Promise.all([dx.data(), dw.data()]);
        tf.dispose([x, dx, dw, y]);
      });
      counts.push(ours());
    }
    // The first size compiled the forward and its gradients (conv3d, weight grad, bias grad).
    expect(counts[0]).toBeGreaterThanOrEqual(4);
    expect(counts).withContext('pipelines of ours after each input size')
        .toEqual([counts[0], counts[0], counts[0]]);
    expect(results.map(r => r[1])).toEqual([[1, 4, 5, 7, 5], [1, 4, 7, 9, 7], [1, 4, 11, 13, 11]]);
    tf.dispose([w, bias]);
  });

  it('refuses registerCompositeKernels("webgpu") with the reason, keeping our kernels', () => {
    const before = OUR_KERNELS.map(k => tf.getKernel(k, 'webgpu')?.kernelFunc);
    expect(() => registerCompositeKernels('webgpu')).toThrowError(
        /registerCompositeKernels\('webgpu'\): refused.*cannot index type 'vec5'.*silently wrong.*already registers its own webgpu kernels/);
    expect(OUR_KERNELS.map(k => tf.getKernel(k, 'webgpu')?.kernelFunc)).toEqual(before);
  });
});
