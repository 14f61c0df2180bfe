/**
 * A stand-in for tfjs-node's `tensorflow` backend: tfjs' MathBackendCPU under another name,
 * with every tfjs cpu kernel registered for it, and our kernels only through
 * registerCompositeKernels. Our composite kernels then run on it exactly as they run on
 * `tensorflow`, calling the same tfjs kernel contract (with TensorFlow's limits: no dilation, no
 * groups, VALID padding in the native calls).
 */
import * as tf from '@tensorflow/tfjs-core';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {BiasGrad, Conv3D, ConvTranspose3D, ConvTranspose3DWeightGrad, NormAffine, NormRowSums, NormStats, Pad, PadGrad, registerCompositeKernels} from '../../src/index.js';
import {AvgPool, AvgPoolGrad, Interpolate, InterpolateGrad, MaxPool, MaxPoolGrad, MaxPoolIndices, registerPoolingKernels} from '../../src/index.js';

export const CPU_STAND_IN = 'cpu-composite';

// BiasGrad too: tfjs-node has no kernel of ours but the composites, so its gradients use tf.sum.
const OURS = new Set([ConvTranspose3D, Conv3D, ConvTranspose3DWeightGrad, BiasGrad, Pad, PadGrad,
                      NormStats, NormAffine, NormRowSums]);
// Pooling and interpolation: registered as for `tensorflow` (registerPoolingKernels' adapter).
for (const k of [MaxPool, MaxPoolIndices, AvgPool, MaxPoolGrad, AvgPoolGrad, Interpolate,
                 InterpolateGrad]) {
  OURS.add(k);
}

/**
 * Registers the stand-in backend (idempotent). Call after the cpu kernels are registered.
 * `adapt` may replace or drop (null) a tfjs kernel: tests use it to watch the native calls.
 */
export function registerCpuStandIn(
    name = CPU_STAND_IN,
    adapt: (config: tf.KernelConfig) => tf.KernelConfig | null = c => c): void {
  if (tf.findBackendFactory(name) != null) return;
  // A low priority, so it never becomes the default backend.
  tf.registerBackend(name, () => new MathBackendCPU(), -1);
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (OURS.has(config.kernelName) || tf.getKernel(config.kernelName, name) != null) continue;
    const adapted = adapt({...config, backendName: name});
    if (adapted != null) tf.registerKernel(adapted);
  }
  registerCompositeKernels(name);
  registerPoolingKernels(name);
}
