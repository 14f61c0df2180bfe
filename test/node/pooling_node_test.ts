/**
 * Pooling and interpolation on tfjs-node's `tensorflow` backend go through readSync and write
 * (NodeJSKernelBackend has no makeTensorInfo): checked on the cpu stand-in, which runs the same
 * registration, by watching its write calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import {interpolate, MaxPool, maxPool3d} from '../../src/index.js';
import {expectNoLeak} from '../util.js';
import {CPU_STAND_IN} from './cpu_stand_in.js';

describe('pooling kernels on the tensorflow backend contract (cpu stand-in)', () => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend(CPU_STAND_IN);
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it('are registered for tensorflow and the stand-in, not copied from cpu', () => {
    expect(tf.getKernel(MaxPool, 'tensorflow')).toBeDefined();
    expect(tf.getKernel(MaxPool, CPU_STAND_IN)!.kernelFunc)
        .not.toBe(tf.getKernel(MaxPool, 'cpu')!.kernelFunc);
  });

  it('write their results with backend.write', async () => {
    const backend = tf.backend() as unknown as {write: (...a: unknown[]) => unknown,
                                                makeTensorInfo: unknown};
    const write = spyOn(backend, 'write').and.callThrough();
    const make = spyOn(backend as {makeTensorInfo: () => unknown}, 'makeTensorInfo')
        .and.callThrough();
    await expectNoLeak(async () => {
      const x = tf.tensor([1, 5, 2, 0, 3, 4, 8, 1], [1, 1, 2, 2, 2]);
      const [y, idx] = maxPool3d(x, 2, {returnIndices: true});
      const z = interpolate(y, {size: [2, 2, 2]});
      expect(Array.from(await z.data())).toEqual(new Array(8).fill(8));
      expect(Array.from(await idx.data())).toEqual([6]);
      tf.dispose([x, y, idx, z]);
    });
    // MathBackendCPU has makeTensorInfo, NodeJSKernelBackend has not: ours must not use it.
    expect(make).not.toHaveBeenCalled();
    expect(write).toHaveBeenCalled();
  });
});
