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
import {interpolateKernelConfigs} from '../cpu/interpolate.js';
import {poolingKernelConfigs} from '../cpu/pooling.js';

export function registerPoolingKernels(backendName: string): void {
  for (const config of [...poolingKernelConfigs(backendName),
                        ...interpolateKernelConfigs(backendName)]) {
    if (getKernel(config.kernelName, backendName) == null) registerKernel(config);
  }
}
