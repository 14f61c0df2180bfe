/**
 * Pooling and interpolation for tfjs-node's `tensorflow` backend (and any backend with tfjs'
 * readSync/makeTensorInfo): our JS kernels (kernels/cpu), not a composite of TensorFlow kernels.
 * TensorFlow's MaxPool3D/AvgPool3D are NDHWC with SAME/VALID padding only, no dilation, no
 * ceil mode and no choice of divisor, and its ResizeBilinear/ResizeNearestNeighbor are 4-D with
 * other index rules: a composite would need two transposes, a −∞ PadV2 and several slices for
 * every PyTorch option, i.e. several passes over memory, where the JS kernel reads the data out
 * once and writes the result once. Tested on the cpu stand-in, which runs the same functions.
 */
import {getKernel, registerKernel} from '@tensorflow/tfjs-core';
import type {DataId, DataType, TensorInfo} from '@tensorflow/tfjs-core';
import {interpolateKernelConfigs} from '../cpu/interpolate.js';
import type {BackendAdapter} from '../cpu/kernels.js';
import {poolingKernelConfigs} from '../cpu/pooling.js';

/**
 * tfjs-node's NodeJSKernelBackend has readSync and write(values, shape, dtype) but no
 * makeTensorInfo (its own kernels create outputs natively), so results go in through write.
 */
interface WritableBackend {
  readSync(dataId: DataId): unknown;
  write(values: Float32Array|Int32Array, shape: number[], dtype: DataType): DataId;
}
const adaptWritable: BackendAdapter = backend => {
  const b = backend as WritableBackend;
  return {
    readSync: dataId => b.readSync(dataId),
    makeTensorInfo: (shape, dtype, values): TensorInfo =>
        ({dataId: b.write(values, shape, dtype), shape, dtype}),
  };
};

/**
 * Registers the pooling and interpolation kernels for `backendName` (any backend with readSync
 * and write, e.g. tfjs-node's `tensorflow`; importing the package does it for `tensorflow`).
 */
export function registerPoolingKernels(backendName: string): void {
  for (const config of [...poolingKernelConfigs(backendName, adaptWritable),
                        ...interpolateKernelConfigs(backendName, adaptWritable)]) {
    if (getKernel(config.kernelName, backendName) == null) registerKernel(config);
  }
}
